using NormSharp.Layers;

namespace NormSharp.Optimizers;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter, "Decoupled Weight Decay Regularization",
/// 2019), PyTorch's <c>torch.optim.AdamW</c>: <c>p = p·(1 − lr·weight_decay)</c>, then the Adam step on the
/// raw gradient. Default weight decay 0.01, as PyTorch.
/// </summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0.01f)
        : base(parameters, lr, beta1, beta2, eps, weightDecay)
    {
    }

    protected override bool DecoupledWeightDecay => true;
}

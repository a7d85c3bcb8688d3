using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Optimizers;

/// <summary>
/// Adam (Kingma &amp; Ba, 2015) with PyTorch's <c>torch.optim.Adam</c> formulas, L2 weight decay added to
/// the gradient:
/// <code>
/// g = g + weight_decay·p
/// m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
/// p = p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
/// </code>
/// The bias corrections are computed in double precision, as PyTorch computes them in Python floats.
/// </summary>
public class Adam : Optimizer
{
    public Adam(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0)
        : base(parameters, lr, "exp_avg", "exp_avg_sq")
    {
        Beta1 = InUnitInterval(beta1, nameof(beta1));
        Beta2 = InUnitInterval(beta2, nameof(beta2));
        Eps = NonNegative(eps, nameof(eps));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    public float WeightDecay { get; }

    /// <summary>True when weight decay is decoupled from the gradient (AdamW).</summary>
    protected virtual bool DecoupledWeightDecay => false;

    protected override unsafe void Update(Parameter parameter, Tensor[] state, long step)
    {
        double bias1 = 1 - Math.Pow(Beta1, step);
        double bias2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, step));
        float stepSize = (float)(LearningRate / bias1);
        // AdamW (Loshchilov & Hutter, 2019; torch.optim.AdamW): p = p·(1 − lr·λ) before the Adam step.
        float decay = DecoupledWeightDecay ? (float)(1 - (double)LearningRate * WeightDecay) : 1f;
        float l2 = DecoupledWeightDecay ? 0f : WeightDecay;
        fixed (float* p = parameter.Value.Data, g = parameter.Grad.Data, m = state[0].Data, v = state[1].Data)
            OptimizerKernels.AdamParallel(p, g, m, v, parameter.Value.Size, Beta1, Beta2, Eps, l2, decay, stepSize, (float)bias2Sqrt);
    }
}

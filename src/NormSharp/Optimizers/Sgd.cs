using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Optimizers;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay, exactly PyTorch's <c>torch.optim.SGD</c> rule:
/// <code>
/// d = g + weight_decay·p
/// buf = d                                  (first step)
/// buf = momentum·buf + (1 − dampening)·d   (later steps)
/// d = nesterov ? d + momentum·buf : buf
/// p = p − lr·d
/// </code>
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <exception cref="ArgumentException">Nesterov without momentum or with dampening (as PyTorch).</exception>
    public Sgd(IEnumerable<Parameter> parameters, float lr, float momentum = 0, float dampening = 0,
        float weightDecay = 0, bool nesterov = false)
        : base(parameters, lr, NonNegative(momentum, nameof(momentum)) != 0 ? ["momentum_buffer"] : [])
    {
        Dampening = NonNegative(dampening, nameof(dampening));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening", nameof(nesterov));
        Momentum = momentum;
        Nesterov = nesterov;
    }

    public float Momentum { get; }
    public float Dampening { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    protected override unsafe void Update(Parameter parameter, Tensor[] state, long step)
    {
        // Tensor storage is pinned: fixed costs nothing and the pointers may go to worker threads.
        fixed (float* p = parameter.Value.Data, g = parameter.Grad.Data, b = Momentum != 0 ? state[0].Data : null)
            OptimizerKernels.SgdParallel(p, g, b, parameter.Value.Size,
                LearningRate, Momentum, Dampening, WeightDecay, Nesterov, firstStep: step == 1);
    }
}

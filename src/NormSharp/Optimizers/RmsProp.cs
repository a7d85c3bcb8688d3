using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Optimizers;

/// <summary>
/// RMSprop (Hinton, Lecture 6e) with PyTorch's <c>torch.optim.RMSprop</c> formulas; ε is added
/// <b>outside</b> the square root (Keras adds it inside):
/// <code>
/// g = g + weight_decay·p
/// s = α·s + (1 − α)·g²
/// avg = centered ? √(s − a²) + ε with a = α·a + (1 − α)·g : √s + ε
/// momentum &gt; 0: buf = momentum·buf + g/avg; p = p − lr·buf      else: p = p − lr·g/avg
/// </code>
/// </summary>
public sealed class RmsProp : Optimizer
{
    private const string SquareAvg = "square_avg", MomentumBuffer = "momentum_buffer", GradAvg = "grad_avg";

    public RmsProp(IEnumerable<Parameter> parameters, float lr = 1e-2f, float alpha = 0.99f, float eps = 1e-8f,
        float momentum = 0, float weightDecay = 0, bool centered = false)
        : base(parameters, lr, StateNames(NonNegative(momentum, nameof(momentum)), centered))
    {
        Alpha = NonNegative(alpha, nameof(alpha));
        Eps = NonNegative(eps, nameof(eps));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        Momentum = momentum;
        Centered = centered;
    }

    public float Alpha { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public float WeightDecay { get; }
    public bool Centered { get; }

    // PyTorch's state order: square_avg, momentum_buffer (if momentum), grad_avg (if centered).
    private static string[] StateNames(float momentum, bool centered) =>
        (momentum > 0, centered) switch
        {
            (true, true) => [SquareAvg, MomentumBuffer, GradAvg],
            (true, false) => [SquareAvg, MomentumBuffer],
            (false, true) => [SquareAvg, GradAvg],
            _ => [SquareAvg],
        };

    protected override unsafe void Update(Parameter parameter, Tensor[] state, long step)
    {
        var momentumBuffer = Momentum > 0 ? state[1].Data : null;
        var gradAvg = Centered ? state[Momentum > 0 ? 2 : 1].Data : null;
        fixed (float* p = parameter.Value.Data, g = parameter.Grad.Data, s = state[0].Data, a = gradAvg, b = momentumBuffer)
            OptimizerKernels.RmsPropParallel(p, g, s, a, b, parameter.Value.Size,
                LearningRate, Alpha, Eps, WeightDecay, Momentum, Centered);
    }
}

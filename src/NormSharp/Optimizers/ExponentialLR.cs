namespace NormSharp.Optimizers;

/// <summary>Multiplies the rate by <see cref="Gamma"/> every epoch (PyTorch's <c>ExponentialLR</c>): <c>lr = base_lr · γ^epoch</c>.</summary>
public sealed class ExponentialLR : LearningRateScheduler
{
    public ExponentialLR(Optimizer optimizer, float gamma) : base(optimizer)
    {
        if (!(gamma >= 0) || float.IsInfinity(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be a finite number ≥ 0");
        Gamma = gamma;
    }

    public float Gamma { get; }

    public override double LearningRateAt(int epoch) => BaseLearningRate * Math.Pow(Gamma, epoch);
}

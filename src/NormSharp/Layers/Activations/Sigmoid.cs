using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>σ(x) = 1 / (1 + e⁻ˣ) (PyTorch <c>nn.Sigmoid</c>); backward uses σ′ = σ(1 − σ) from the output.</summary>
public sealed class Sigmoid : ActivationModule
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Sigmoid(x, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.SigmoidBackward(y, dy, dx);

    /// <summary>σ′ = y(1 − y) needs only y: the sigmoid can be fused into a BatchNorm's apply.</summary>
    internal override FusedActivation FusedForm => FusedActivation.Sigmoid;

    public override string Describe() => "Sigmoid()";
}

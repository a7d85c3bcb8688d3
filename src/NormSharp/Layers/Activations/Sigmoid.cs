using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>σ(x) = 1 / (1 + e⁻ˣ) (PyTorch <c>nn.Sigmoid</c>); backward uses σ′ = σ(1 − σ) from the output.</summary>
public sealed class Sigmoid : ActivationModule
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Sigmoid(x, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.SigmoidBackward(y, dy, dx);

    public override string Describe() => "Sigmoid()";
}

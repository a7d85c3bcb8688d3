using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>tanh(x) (PyTorch <c>nn.Tanh</c>); backward uses tanh′ = 1 − tanh² from the output.</summary>
public sealed class Tanh : ActivationModule
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Tanh(x, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.TanhBackward(y, dy, dx);

    public override string Describe() => "Tanh()";
}

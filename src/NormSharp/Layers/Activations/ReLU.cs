using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>ReLU(x) = max(0, x) (PyTorch <c>nn.ReLU</c>); the derivative at 0 is taken as 0, as PyTorch does.</summary>
public sealed class ReLU : ActivationModule
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Relu(x, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.ReluBackward(y, dy, dx);

    /// <summary>Takes <paramref name="output"/> = ReLU(z), computed by the preceding layer's fused epilogue, as this
    /// layer's result (<see cref="Sequential"/>'s Dense → ReLU fusion); the backward needs only y.</summary>
    internal Tensor AdoptFused(Tensor output) => AdoptFusedOutput(output);

    public override string Describe() => "ReLU()";
}

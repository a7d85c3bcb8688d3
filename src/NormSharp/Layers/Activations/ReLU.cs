using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>ReLU(x) = max(0, x) (PyTorch <c>nn.ReLU</c>); the derivative at 0 is taken as 0, as PyTorch does.</summary>
public sealed class ReLU : ActivationModule
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Relu(x, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.ReluBackward(y, dy, dx);

    /// <summary>The backward needs only y: ReLU can be fused into a Dense's epilogue or a BatchNorm's apply.</summary>
    internal override FusedActivation FusedForm => FusedActivation.Relu;

    public override string Describe() => "ReLU()";
}

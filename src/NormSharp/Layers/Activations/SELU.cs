using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// SELU(x) = λ·x for x &gt; 0, λ·α(eˣ − 1) otherwise, with λ ≈ 1.0507 and α ≈ 1.6733 (Klambauer et al. 2017,
/// "Self-Normalizing Neural Networks"; PyTorch <c>nn.SELU</c>). Self-normalising with LeCun-normal weights.
/// </summary>
public sealed class SELU : ActivationModule
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
        Activations.Elu(x, ActivationReference.SeluAlpha, ActivationReference.SeluScale, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.EluBackward(x, dy, ActivationReference.SeluAlpha, ActivationReference.SeluScale, dx);

    public override string Describe() => "SELU()";
}

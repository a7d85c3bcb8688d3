using System.Globalization;
using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>LeakyReLU(x) = x for x &gt; 0, α·x otherwise (PyTorch <c>nn.LeakyReLU(negative_slope=0.01)</c>;
/// Keras' default α is 0.3 — pass it explicitly to match Keras).</summary>
public sealed class LeakyReLU : ActivationModule
{
    /// <param name="negativeSlope">α, the slope for negative inputs (PyTorch default 0.01).</param>
    public LeakyReLU(float negativeSlope = 0.01f)
    {
        if (!float.IsFinite(negativeSlope)) throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "must be finite");
        NegativeSlope = negativeSlope;
    }

    public float NegativeSlope { get; }

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.LeakyRelu(x, NegativeSlope, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.LeakyReluBackward(x, dy, NegativeSlope, dx);

    public override string Describe() => $"LeakyReLU({NegativeSlope.ToString(CultureInfo.InvariantCulture)})";
}

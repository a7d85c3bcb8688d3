using System.Globalization;
using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>ELU(x) = x for x &gt; 0, α(eˣ − 1) otherwise (Clevert et al. 2015; PyTorch <c>nn.ELU(alpha=1.0)</c>).</summary>
public sealed class ELU : ActivationModule
{
    /// <param name="alpha">α, the value ELU tends to for x → −∞ is −α (default 1).</param>
    public ELU(float alpha = 1f)
    {
        if (!float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be finite");
        Alpha = alpha;
    }

    public float Alpha { get; }

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Elu(x, Alpha, 1f, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.EluBackward(x, dy, Alpha, 1f, dx);

    public override string Describe() => $"ELU({Alpha.ToString(CultureInfo.InvariantCulture)})";
}

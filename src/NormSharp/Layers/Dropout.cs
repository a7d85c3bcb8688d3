using System.Globalization;
using System.Numerics.Tensors;

namespace NormSharp.Layers;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014; PyTorch <c>nn.Dropout(p=0.5)</c>): in training each element is
/// zeroed with probability p and the survivors are scaled by 1/(1 − p), so the expected output equals the
/// input and eval mode is the identity.
/// </summary>
/// <remarks>
/// <para>The mask is drawn from <see cref="Generator"/> (32 random bits per element, in order) and kept as the
/// per-element factor m ∈ {0, 1/(1 − p)}: y = m·x, dx = m·dy. p = 1 zeroes everything (as PyTorch);
/// p = 0 is the identity. In eval mode Forward returns its input and Backward its output gradient (no
/// copy). The trainer seeds <see cref="Generator"/> and checkpoints save its state.</para>
/// <para>Keras' <c>Dropout(rate)</c> is the same inverted dropout with rate = p.</para>
/// </remarks>
public sealed class Dropout : Module, IStochastic
{
    private static readonly Tensor s_noGradient = new(0);
    private Tensor? _output, _gradInput, _mask;
    private bool _lastForwardTraining;

    /// <param name="p">Probability of zeroing an element, in [0, 1] (PyTorch 0.5).</param>
    /// <param name="rng">Generator of the masks; a fork of <see cref="RandomState.Global"/> when null.</param>
    public Dropout(float p = 0.5f, Rng? rng = null)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        P = p;
        Generator = rng ?? RandomState.Global.Fork();
    }

    public float P { get; }

    /// <inheritdoc />
    public Rng Generator { get; set; }

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        _lastForwardTraining = Training && P > 0f;
        if (!_lastForwardTraining) return x;
        var mask = Tensor.Ensure(ref _mask, x.Shape);
        FillMask(mask.Span);
        var y = Tensor.Ensure(ref _output, x.Shape);
        TensorPrimitives.Multiply(x.Span, mask.Span, y.Span);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (!_lastForwardTraining) return gradOutput;
        if (_mask is null || _output is null) throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(_output.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {_output.ShapeString()}", nameof(gradOutput));
        if (!NeedsInputGradient) return s_noGradient;
        var dx = Tensor.Ensure(ref _gradInput, gradOutput.Shape);
        TensorPrimitives.Multiply(gradOutput.Span, _mask.Span, dx.Span);
        return dx;
    }

    public override int[] OutputShape(int[] inputShape) => (int[])inputShape.Clone();

    /// <summary>
    /// m = u ≥ p ? 1/(1 − p) : 0 with u uniform on [0, 1) in steps of 2⁻³²: each 64-bit draw gives two
    /// elements (low half first), compared as integers with ⌈p·2³²⌉ — a fraction 1 − p of the 2³² values keep
    /// their element, up to 2⁻³². p = 1 keeps nothing (the threshold exceeds every 32-bit value).
    /// </summary>
    private void FillMask(Span<float> m)
    {
        float scale = P < 1f ? 1f / (1f - P) : 0f;
        ulong threshold = (ulong)Math.Ceiling(P * 4294967296.0); // 2³²
        int i = 0;
        for (; i + 1 < m.Length; i += 2)
        {
            ulong bits = Generator.NextUInt64();
            m[i] = (bits & 0xFFFF_FFFFUL) >= threshold ? scale : 0f;
            m[i + 1] = (bits >> 32) >= threshold ? scale : 0f;
        }
        if (i < m.Length) m[i] = (Generator.NextUInt64() & 0xFFFF_FFFFUL) >= threshold ? scale : 0f;
    }

    public override string Describe() => $"Dropout(p={P.ToString(CultureInfo.InvariantCulture)})";
}

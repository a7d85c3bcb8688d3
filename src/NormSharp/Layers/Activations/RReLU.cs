using System.Globalization;
using System.Numerics.Tensors;
using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Randomized leaky ReLU (Xu et al. 2015, "Empirical Evaluation of Rectified Activations in Convolutional
/// Network"; PyTorch <c>nn.RReLU(lower=1/8, upper=1/3)</c>): in training, y = x for x &gt; 0 and a·x otherwise
/// with a fresh a ~ U(lower, upper) for every element x ≤ 0; in eval mode the fixed slope
/// (lower + upper)/2.
/// </summary>
/// <remarks>
/// <para>The slopes are drawn from <see cref="Generator"/> in element order, one per element x ≤ 0 (as
/// ATen's <c>rrelu_with_noise</c> CPU loop, which draws only there), and kept for backward: dx = a·dy,
/// with a = 1 for x &gt; 0. At x = 0 the derivative is therefore the drawn slope in training and the mean
/// slope in eval, as in PyTorch. The trainer seeds <see cref="Generator"/> (<c>FitOptions.Seed</c>) and
/// checkpoints save its state.</para>
/// </remarks>
public sealed class RReLU : ActivationModule, IStochastic
{
    private float[] _slopes = [];
    private bool _lastForwardTraining;

    /// <param name="lower">Smallest random slope (PyTorch 1/8).</param>
    /// <param name="upper">Largest random slope (PyTorch 1/3).</param>
    /// <param name="rng">Generator of the slopes; a fork of <see cref="RandomState.Global"/> when null.</param>
    public RReLU(float lower = 1f / 8f, float upper = 1f / 3f, Rng? rng = null)
    {
        if (!float.IsFinite(lower)) throw new ArgumentOutOfRangeException(nameof(lower), lower, "must be finite");
        if (!float.IsFinite(upper) || upper < lower)
            throw new ArgumentOutOfRangeException(nameof(upper), upper, $"must be finite and ≥ lower ({lower})");
        Lower = lower;
        Upper = upper;
        Generator = rng ?? RandomState.Global.Fork();
    }

    public float Lower { get; }
    public float Upper { get; }

    /// <summary>The slope for negative inputs in eval mode, (lower + upper)/2.</summary>
    public float EvalSlope => (Lower + Upper) / 2f;

    /// <inheritdoc />
    public Rng Generator { get; set; }

    protected override void Prepare(Tensor x)
    {
        _lastForwardTraining = Training;
        if (Training && _slopes.Length < x.Size) _slopes = GC.AllocateUninitializedArray<float>(x.Size, pinned: true);
    }

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Training) { Activations.LeakyRelu(x, EvalSlope, y); return; }
        // Scalar math: a = x ≤ 0 ? U(lower, upper) : 1; y = a·x. Sequential by nature (one generator stream).
        var slopes = _slopes.AsSpan(0, x.Length);
        for (int i = 0; i < x.Length; i++) slopes[i] = x[i] <= 0 ? Generator.NextUniform(Lower, Upper) : 1f;
        TensorPrimitives.Multiply(x, slopes, y);
    }

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (_lastForwardTraining) TensorPrimitives.Multiply(dy, _slopes.AsSpan(0, dy.Length), dx);
        else Activations.LeakyReluBackward(x, dy, EvalSlope, dx);
    }

    public override string Describe() =>
        $"RReLU({Lower.ToString(CultureInfo.InvariantCulture)}, {Upper.ToString(CultureInfo.InvariantCulture)})";
}

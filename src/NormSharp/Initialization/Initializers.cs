namespace NormSharp;

/// <summary>
/// Weight initialisers that fill a tensor in place, with PyTorch's <c>torch.nn.init</c> semantics (names,
/// defaults, fans, gains) and Keras' general <c>VarianceScaling</c>. Every method draws from the given
/// generator, or <see cref="RandomState.Global"/> when null, in element order, so a seed fixes the result.
/// </summary>
/// <remarks>
/// <para>Fans follow <c>torch.nn.init._calculate_fan_in_and_fan_out</c> for PyTorch's layouts: Dense weight
/// [out, in] → fan_in = in, fan_out = out; Conv2d weight [out, in, k, k] → fan_in = in·k², fan_out = out·k².
/// Keras stores Dense kernels as [in, out] but computes the same fans, so the distributions agree.</para>
/// <para>Keras names: <c>glorot_*</c> = <see cref="XavierUniform"/>/<see cref="XavierNormal"/> (Keras'
/// glorot_normal is truncated: <see cref="VarianceScaling"/>(1, FanAvg, TruncatedNormal)); <c>he_*</c> =
/// VarianceScaling(2, FanIn, …); <c>lecun_*</c> = <see cref="LeCunUniform"/>/<see cref="LeCunNormal"/>.</para>
/// </remarks>
public static class Initializers
{
    /// <summary>Keras' correction: the std of a standard normal truncated to [−2, 2] is 0.8796…, so σ is divided by it.</summary>
    public const double TruncatedNormalStdCorrection = 0.87962566103423978;

    /// <summary>Fills with 0.</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0f);

    /// <summary>Fills with 1.</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1f);

    /// <summary>Fills with <paramref name="value"/>.</summary>
    public static Tensor Constant(Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Fill(value);
        return tensor;
    }

    /// <summary>N(<paramref name="mean"/>, <paramref name="std"/>²) (torch <c>normal_</c>, defaults 0 and 1).</summary>
    public static Tensor Normal(Tensor tensor, float mean = 0f, float std = 1f, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(std >= 0) || !float.IsFinite(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "must be finite and ≥ 0");
        rng ??= RandomState.Global;
        var s = tensor.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextGaussian(mean, std);
        return tensor;
    }

    /// <summary>U(<paramref name="low"/>, <paramref name="high"/>) (torch <c>uniform_</c>, defaults 0 and 1).</summary>
    public static Tensor Uniform(Tensor tensor, float low = 0f, float high = 1f, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!float.IsFinite(low) || !float.IsFinite(high) || high < low)
            throw new ArgumentOutOfRangeException(nameof(high), high, $"need finite low ≤ high (low = {low})");
        rng ??= RandomState.Global;
        var s = tensor.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextUniform(low, high);
        return tensor;
    }

    /// <summary>
    /// N(mean, std²) restricted to [<paramref name="low"/>, <paramref name="high"/>] by redrawing (torch
    /// <c>trunc_normal_</c>, whose bounds are absolute: defaults ±2).
    /// </summary>
    public static Tensor TruncatedNormal(Tensor tensor, float mean = 0f, float std = 1f, float low = -2f, float high = 2f, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(std >= 0) || !float.IsFinite(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "must be finite and ≥ 0");
        if (!(low < high)) throw new ArgumentOutOfRangeException(nameof(high), high, $"must exceed low ({low})");
        if (mean < low - 2 * std || mean > high + 2 * std)
            throw new ArgumentOutOfRangeException(nameof(mean), mean, $"more than 2 std from [{low}, {high}]: redrawing would rarely succeed");
        rng ??= RandomState.Global;
        var s = tensor.Span;
        for (int i = 0; i < s.Length; i++)
        {
            float v;
            do v = rng.NextGaussian(mean, std); while (v < low || v > high);
            s[i] = v;
        }
        return tensor;
    }

    /// <summary>Glorot &amp; Bengio (2010): U(±a), a = gain·√(6 / (fan_in + fan_out)) (torch <c>xavier_uniform_</c>).</summary>
    public static Tensor XavierUniform(Tensor tensor, float gain = 1f, Rng? rng = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        float bound = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        return Uniform(tensor, -bound, bound, rng);
    }

    /// <summary>Glorot &amp; Bengio (2010): N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)) (torch <c>xavier_normal_</c>).</summary>
    public static Tensor XavierNormal(Tensor tensor, float gain = 1f, Rng? rng = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return Normal(tensor, 0f, gain * MathF.Sqrt(2f / (fanIn + fanOut)), rng);
    }

    /// <summary>
    /// He et al. (2015): U(±√3·σ), σ = gain / √fan with gain = <see cref="CalculateGain"/>(nonlinearity, a)
    /// (torch <c>kaiming_uniform_(a=0, mode='fan_in', nonlinearity='leaky_relu')</c>).
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Rng? rng = null)
    {
        float std = CalculateGain(nonlinearity, a) / MathF.Sqrt(Fan(tensor, mode));
        float bound = MathF.Sqrt(3f) * std;
        return Uniform(tensor, -bound, bound, rng);
    }

    /// <summary>He et al. (2015): N(0, σ²), σ = gain / √fan (torch <c>kaiming_normal_</c>).</summary>
    public static Tensor KaimingNormal(Tensor tensor, float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Rng? rng = null)
    {
        float std = CalculateGain(nonlinearity, a) / MathF.Sqrt(Fan(tensor, mode));
        return Normal(tensor, 0f, std, rng);
    }

    /// <summary>LeCun (1998, "Efficient BackProp"): variance 1/fan_in, Keras' <c>lecun_uniform</c> (U(±√(3/fan_in))).</summary>
    public static Tensor LeCunUniform(Tensor tensor, Rng? rng = null) =>
        VarianceScaling(tensor, 1f, FanMode.FanIn, VarianceDistribution.Uniform, rng);

    /// <summary>Keras' <c>lecun_normal</c>: truncated normal with variance 1/fan_in (SELU's initialiser).</summary>
    public static Tensor LeCunNormal(Tensor tensor, Rng? rng = null) =>
        VarianceScaling(tensor, 1f, FanMode.FanIn, VarianceDistribution.TruncatedNormal, rng);

    /// <summary>
    /// Keras <c>VarianceScaling(scale=1, mode='fan_in', distribution='truncated_normal')</c>: target variance
    /// v = scale / max(1, fan); truncated normal at ±2σ with σ = √v / 0.8796…, plain normal with σ = √v, or
    /// U(±√(3v)).
    /// </summary>
    public static Tensor VarianceScaling(Tensor tensor, float scale = 1f, FanMode mode = FanMode.FanIn,
        VarianceDistribution distribution = VarianceDistribution.TruncatedNormal, Rng? rng = null)
    {
        if (!(scale > 0) || !float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be finite and > 0");
        double variance = scale / Math.Max(1.0, Fan(tensor, mode));
        switch (distribution)
        {
            case VarianceDistribution.TruncatedNormal:
                float std = (float)(Math.Sqrt(variance) / TruncatedNormalStdCorrection);
                return TruncatedNormal(tensor, 0f, std, -2f * std, 2f * std, rng);
            case VarianceDistribution.UntruncatedNormal:
                return Normal(tensor, 0f, (float)Math.Sqrt(variance), rng);
            case VarianceDistribution.Uniform:
                float limit = (float)Math.Sqrt(3 * variance);
                return Uniform(tensor, -limit, limit, rng);
            default:
                throw new ArgumentOutOfRangeException(nameof(distribution), distribution, "unknown distribution");
        }
    }

    /// <summary>
    /// PyTorch's default for Linear and Conv2d (<c>reset_parameters</c>): the weight by
    /// <c>kaiming_uniform_(a=√5)</c>, which is U(±1/√fan_in), and the bias (when given) from the same bound.
    /// </summary>
    public static void PyTorchDefault(Tensor weight, Tensor? bias, Rng? rng = null)
    {
        rng ??= RandomState.Global;
        KaimingUniform(weight, MathF.Sqrt(5f), FanMode.FanIn, "leaky_relu", rng);
        if (bias is null) return;
        var (fanIn, _) = Fans(weight);
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        Uniform(bias, -bound, bound, rng);
    }

    /// <summary>
    /// torch <c>calculate_gain</c>: linear, conv*, sigmoid → 1; tanh → 5/3; relu → √2;
    /// leaky_relu → √(2 / (1 + slope²)) (slope 0.01 when <paramref name="param"/> is null); selu → 3/4.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown nonlinearity; the message lists the known ones.</exception>
    public static float CalculateGain(string nonlinearity, float? param = null)
    {
        ArgumentNullException.ThrowIfNull(nonlinearity);
        switch (nonlinearity)
        {
            case "linear" or "identity" or "sigmoid" or "conv1d" or "conv2d" or "conv3d"
                or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d":
                return 1f;
            case "tanh": return 5f / 3f;
            case "relu": return MathF.Sqrt(2f);
            case "leaky_relu":
                float slope = param ?? 0.01f;
                return MathF.Sqrt(2f / (1f + slope * slope));
            case "selu": return 0.75f;
            default:
                throw new ArgumentException(
                    $"unknown nonlinearity '{nonlinearity}'; expected linear, identity, sigmoid, conv1d/2d/3d, conv_transpose1d/2d/3d, tanh, relu, leaky_relu or selu",
                    nameof(nonlinearity));
        }
    }

    /// <summary>(fan_in, fan_out) of a weight of rank ≥ 2: dim 1 and dim 0 times the receptive field (product of dims 2…).</summary>
    /// <exception cref="ArgumentException">Rank below 2 (as PyTorch: fans are undefined for vectors).</exception>
    public static (int FanIn, int FanOut) Fans(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2)
            throw new ArgumentException(
                $"fan in and fan out need a tensor of rank ≥ 2 ([out, in, …]), got {tensor.ShapeString()}", nameof(tensor));
        int receptive = 1;
        for (int i = 2; i < tensor.Rank; i++) receptive *= tensor.Dim(i);
        return (tensor.Dim(1) * receptive, tensor.Dim(0) * receptive);
    }

    private static float Fan(Tensor tensor, FanMode mode)
    {
        var (fanIn, fanOut) = Fans(tensor);
        float fan = mode switch
        {
            FanMode.FanIn => fanIn,
            FanMode.FanOut => fanOut,
            FanMode.FanAvg => (fanIn + fanOut) / 2f,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown fan mode"),
        };
        if (fan <= 0) throw new ArgumentException($"tensor {tensor.ShapeString()} has a zero fan", nameof(tensor));
        return fan;
    }
}

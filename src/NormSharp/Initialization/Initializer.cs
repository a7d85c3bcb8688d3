using NormSharp.Layers;

namespace NormSharp;

/// <summary>
/// A weight initialisation scheme as a value that model builders can take (<c>ModelOptions.WeightInit</c>):
/// it fills one tensor from a generator, and <see cref="Apply"/> re-initialises every Dense and Conv2d of
/// a model. Built-ins wrap <see cref="Initializers"/>; <see cref="Parse"/> reads the names the CLI uses.
/// </summary>
public abstract class Initializer
{
    /// <summary>A short name, e.g. "he_normal" or "xavier_uniform(gain=1)".</summary>
    public abstract string Name { get; }

    /// <summary>Fills <paramref name="tensor"/> in place.</summary>
    public abstract void Initialize(Tensor tensor, Rng rng);

    /// <summary>
    /// Re-initialises the weight of every <see cref="Dense"/> and <see cref="Conv2d"/> in <paramref name="model"/>
    /// (module order) with this scheme and sets their biases to 0 — Keras' default <c>bias_initializer</c>
    /// and the usual companion of He/Xavier in PyTorch code. Other layers (BN's γ = 1, β = 0) are untouched.
    /// </summary>
    public void Apply(Module model, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        rng ??= RandomState.Global;
        foreach (var (_, module) in model.NamedModules())
        {
            var (weight, bias) = module switch
            {
                Dense d => (d.WeightParameter, d.BiasParameter),
                Conv2d c => (c.WeightParameter, c.BiasParameter),
                _ => (null, null),
            };
            if (weight is null) continue;
            Initialize(weight.Value, rng);
            bias?.Value.Clear();
        }
    }

    public override string ToString() => Name;

    /// <summary>All zeros.</summary>
    public static Initializer Zeros { get; } = new Delegated("zeros", (t, _) => Initializers.Zeros(t));

    /// <summary>Every element <paramref name="value"/>.</summary>
    public static Initializer Constant(float value) => new Delegated(FormattableString.Invariant($"constant({value})"), (t, _) => Initializers.Constant(t, value));

    /// <summary>N(mean, std²).</summary>
    public static Initializer Normal(float mean = 0f, float std = 1f) =>
        new Delegated(FormattableString.Invariant($"normal({mean}, {std})"), (t, r) => Initializers.Normal(t, mean, std, r));

    /// <summary>U(low, high).</summary>
    public static Initializer Uniform(float low = 0f, float high = 1f) =>
        new Delegated(FormattableString.Invariant($"uniform({low}, {high})"), (t, r) => Initializers.Uniform(t, low, high, r));

    /// <summary>Glorot/Xavier uniform.</summary>
    public static Initializer XavierUniform(float gain = 1f) =>
        new Delegated(FormattableString.Invariant($"xavier_uniform(gain={gain})"), (t, r) => Initializers.XavierUniform(t, gain, r));

    /// <summary>Glorot/Xavier normal (untruncated, as PyTorch).</summary>
    public static Initializer XavierNormal(float gain = 1f) =>
        new Delegated(FormattableString.Invariant($"xavier_normal(gain={gain})"), (t, r) => Initializers.XavierNormal(t, gain, r));

    /// <summary>He/Kaiming uniform.</summary>
    public static Initializer KaimingUniform(float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu") =>
        Checked(nonlinearity, a, new Delegated(FormattableString.Invariant($"kaiming_uniform(a={a}, {mode}, {nonlinearity})"),
            (t, r) => Initializers.KaimingUniform(t, a, mode, nonlinearity, r)));

    /// <summary>He/Kaiming normal.</summary>
    public static Initializer KaimingNormal(float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu") =>
        Checked(nonlinearity, a, new Delegated(FormattableString.Invariant($"kaiming_normal(a={a}, {mode}, {nonlinearity})"),
            (t, r) => Initializers.KaimingNormal(t, a, mode, nonlinearity, r)));

    /// <summary>Keras-style variance scaling.</summary>
    public static Initializer VarianceScaling(float scale = 1f, FanMode mode = FanMode.FanIn,
        VarianceDistribution distribution = VarianceDistribution.TruncatedNormal) =>
        new Delegated(FormattableString.Invariant($"variance_scaling({scale}, {mode}, {distribution})"),
            (t, r) => Initializers.VarianceScaling(t, scale, mode, distribution, r));

    /// <summary>LeCun uniform (Keras <c>lecun_uniform</c>).</summary>
    public static Initializer LeCunUniform { get; } = new Delegated("lecun_uniform", (t, r) => Initializers.LeCunUniform(t, r));

    /// <summary>LeCun normal (Keras <c>lecun_normal</c>, truncated).</summary>
    public static Initializer LeCunNormal { get; } = new Delegated("lecun_normal", (t, r) => Initializers.LeCunNormal(t, r));

    /// <summary>PyTorch's Linear/Conv default weight init: kaiming_uniform(a = √5) = U(±1/√fan_in).</summary>
    public static Initializer PyTorchDefault { get; } =
        new Delegated("pytorch_default", (t, r) => Initializers.KaimingUniform(t, MathF.Sqrt(5f), FanMode.FanIn, "leaky_relu", r));

    /// <summary>The names <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
        "pytorch_default", "xavier_normal", "xavier_uniform", "zeros",
    ];

    /// <summary>
    /// An initializer by name: <c>he_uniform</c>/<c>he_normal</c> (Kaiming, fan_in, ReLU gain √2 — PyTorch's
    /// <c>kaiming_*_(nonlinearity='relu')</c>, Keras' untruncated-variance equivalent), <c>xavier_*</c> (gain 1),
    /// <c>glorot_uniform</c> (= xavier_uniform) and <c>glorot_normal</c> (Keras: truncated, fan_avg),
    /// <c>lecun_*</c>, <c>pytorch_default</c>, <c>zeros</c>. Case-insensitive.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static Initializer Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "he_uniform" or "kaiming_uniform" => KaimingUniform(0f, FanMode.FanIn, "relu"),
            "he_normal" or "kaiming_normal" => KaimingNormal(0f, FanMode.FanIn, "relu"),
            "xavier_uniform" or "glorot_uniform" => XavierUniform(),
            "xavier_normal" => XavierNormal(),
            "glorot_normal" => VarianceScaling(1f, FanMode.FanAvg, VarianceDistribution.TruncatedNormal),
            "lecun_uniform" => LeCunUniform,
            "lecun_normal" => LeCunNormal,
            "pytorch_default" or "pytorch" or "default" => PyTorchDefault,
            "zeros" => Zeros,
            _ => throw new ArgumentException($"unknown initializer '{name}'; expected one of: {string.Join(", ", Names)}", nameof(name)),
        };
    }

    private static Initializer Checked(string nonlinearity, float a, Initializer initializer)
    {
        Initializers.CalculateGain(nonlinearity, a); // fail at construction, not at the first layer
        return initializer;
    }

    private sealed class Delegated(string name, Action<Tensor, Rng> fill) : Initializer
    {
        public override string Name => name;

        public override void Initialize(Tensor tensor, Rng rng)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            ArgumentNullException.ThrowIfNull(rng);
            fill(tensor, rng);
        }
    }
}

using NormSharp.Layers;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// The two weight initialisations seed 002 compares, applied to every Dense layer of a net (biases set
/// to 0, as Keras initialises them): "he" — He et al. 2015, N(0, 2/fan_in), PyTorch's
/// <c>kaiming_normal_(nonlinearity='relu')</c>, Keras's <c>he_normal</c> without truncation; "xavier" —
/// Glorot &amp; Bengio 2010, U(±√(6/(fan_in + fan_out))), <c>xavier_uniform_</c> / Keras's default
/// <c>glorot_uniform</c>. "default" keeps the engine's PyTorch Linear init, U(±1/√fan_in).
/// </summary>
internal static class WeightInit
{
    /// <summary>The names <see cref="Apply"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["default", "he", "xavier"];

    /// <summary>Re-initialises every Dense weight of <paramref name="model"/> as <paramref name="name"/> says.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static void Apply(Module model, string name, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rng);
        if (!Names.Contains(name)) throw new ArgumentException($"unknown initialisation '{name}'; expected one of: {string.Join(", ", Names)}", nameof(name));
        if (name == "default") return;
        foreach (var (_, module) in model.NamedModules())
        {
            if (module is not Dense dense) continue;
            var w = dense.WeightParameter.Value.Span;
            int fanIn = dense.InFeatures, fanOut = dense.OutFeatures;
            if (name == "he")
            {
                float std = MathF.Sqrt(2f / fanIn);
                for (int i = 0; i < w.Length; i++) w[i] = rng.NextGaussian(0f, std);
            }
            else
            {
                float bound = MathF.Sqrt(6f / (fanIn + fanOut));
                for (int i = 0; i < w.Length; i++) w[i] = rng.NextUniform(-bound, bound);
            }
            dense.BiasParameter?.Value.Span.Clear();
        }
    }
}

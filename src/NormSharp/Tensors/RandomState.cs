namespace NormSharp;

/// <summary>
/// The process-wide default generator, like <c>torch.manual_seed</c>: layers that initialise their own
/// weights without being given an <see cref="Rng"/> draw from it, so seeding it once makes model
/// construction reproducible.
/// </summary>
public static class RandomState
{
    private static Rng s_global = new(0);

    /// <summary>The default generator (not thread-safe: build models on one thread).</summary>
    public static Rng Global => s_global;

    /// <summary>Reseeds the default generator.</summary>
    public static void ManualSeed(ulong seed) => s_global = new Rng(seed);
}

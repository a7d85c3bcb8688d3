namespace NormSharp.Cli.Experiments;

/// <summary>Settings shared by every experiment (the options of <c>normsharp reproduce</c>).</summary>
public sealed record ExperimentOptions
{
    /// <summary>Small subsets and few steps through the same code path as the full run (each under two minutes
    /// on two cores): for tests and a first look.</summary>
    public bool Quick { get; init; }

    /// <summary>Seed of every model initialisation, shuffle and stochastic layer.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Worker threads of the kernels; null keeps the engine's default.</summary>
    public int? Threads { get; init; }

    /// <summary>Where datasets are cached; null uses the registry's default folder.</summary>
    public string? DataDirectory { get; init; }
}

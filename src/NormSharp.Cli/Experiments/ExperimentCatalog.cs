namespace NormSharp.Cli.Experiments;

/// <summary>Every experiment of <c>normsharp reproduce</c>, in the order <c>reproduce all</c> runs them.</summary>
public static class ExperimentCatalog
{
    /// <summary>A fresh instance of each experiment.</summary>
    public static IReadOnlyList<IExperiment> All() =>
    [
        new DistributionsExperiment(),
        new SmallBatchExperiment(),
        new BnLagExperiment(),
        new LeNetExperiment(),
        new TransferExperiment(),
        new DepthSweepExperiment(),
        new StepTimeExperiment(),
        new ActivationsExperiment(),
        new LearningRateExperiment(),
        new BatchSizeExperiment(),
        new GradientsExperiment(),
    ];

    /// <summary>The experiment called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No experiment has that name; the message lists the valid ones.</exception>
    public static IExperiment Find(string name)
    {
        foreach (var experiment in All())
            if (string.Equals(experiment.Name, name, StringComparison.OrdinalIgnoreCase)) return experiment;
        var names = string.Join(", ", All().Select(e => e.Name));
        throw new ArgumentException($"unknown experiment '{name}'; expected one of: {names}, all", nameof(name));
    }
}

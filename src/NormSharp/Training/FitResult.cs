namespace NormSharp.Training;

/// <summary>The outcome of <see cref="Trainer.Fit"/>.</summary>
public sealed class FitResult
{
    internal FitResult(IReadOnlyList<FitRecord> history, long steps, int epochs, string? stopReason,
        double elapsedSeconds, double trainingSeconds, long examples, long skippedBatches = 0)
    {
        History = history;
        Steps = steps;
        Epochs = epochs;
        StopReason = stopReason;
        ElapsedSeconds = elapsedSeconds;
        TrainingSeconds = trainingSeconds;
        Examples = examples;
        SkippedBatches = skippedBatches;
    }

    /// <summary>Batches dropped by <see cref="NonFinitePolicy.SkipBatch"/> (not counted in <see cref="Steps"/>).</summary>
    public long SkippedBatches { get; }

    /// <summary>One record per evaluation point, in order.</summary>
    public IReadOnlyList<FitRecord> History { get; }

    /// <summary>Optimizer steps taken.</summary>
    public long Steps { get; }

    /// <summary>Epochs started (the last one may be partial when training stopped inside it).</summary>
    public int Epochs { get; }

    /// <summary>Why a callback stopped training early; null when the epoch/step budget ran out.</summary>
    public string? StopReason { get; }

    /// <summary>True when a callback stopped training before the budget ran out.</summary>
    public bool StoppedEarly => StopReason is not null;

    /// <summary>Wall time of the whole fit, evaluations included.</summary>
    public double ElapsedSeconds { get; }

    /// <summary>Wall time spent training (evaluations excluded).</summary>
    public double TrainingSeconds { get; }

    /// <summary>Training examples processed.</summary>
    public long Examples { get; }

    /// <summary>Training throughput over the whole fit, evaluations excluded.</summary>
    public double ExamplesPerSecond => TrainingSeconds > 0 ? Examples / TrainingSeconds : 0;

    /// <summary>The last history record (null when no step was taken).</summary>
    public FitRecord? Final => History.Count > 0 ? History[^1] : null;
}

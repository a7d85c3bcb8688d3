using System.Diagnostics;

namespace NormSharp.Training;

/// <summary>The live state of a <see cref="Trainer.Fit"/> run, handed to callbacks (one instance per run,
/// updated in place: read it, do not keep it).</summary>
public sealed class TrainingProgress
{
    private readonly long _startTimestamp;

    internal TrainingProgress(Trainer trainer)
    {
        Trainer = trainer;
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>The trainer running (model, optimizer).</summary>
    public Trainer Trainer { get; }

    /// <summary>Optimizer steps done so far.</summary>
    public long Step { get; internal set; }

    /// <summary>The epoch in progress, 1-based.</summary>
    public int Epoch { get; internal set; }

    /// <summary>Batches done in the current epoch.</summary>
    public int StepInEpoch { get; internal set; }

    /// <summary>Loss of the last step.</summary>
    public float Loss { get; internal set; }

    /// <summary>Accuracy of the last batch (training mode); null for regression.</summary>
    public double? BatchAccuracy { get; internal set; }

    /// <summary>Training examples processed so far.</summary>
    public long Examples { get; internal set; }

    /// <summary>Wall time since training started.</summary>
    public double ElapsedSeconds => Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;

    /// <summary>The reason given by the first <see cref="RequestStop"/>; null while training goes on.</summary>
    public string? StopReason { get; private set; }

    public bool StopRequested => StopReason is not null;

    /// <summary>Asks <see cref="Trainer.Fit"/> to stop after the current callback round.</summary>
    public void RequestStop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        StopReason ??= reason;
    }
}

using NormSharp.Data;

namespace NormSharp.Training;

/// <summary>
/// Where a training run stands, as a checkpoint records it: optimizer steps done, the epoch in progress
/// (1-based), batches done in it, and whether the end-of-epoch work (epoch callbacks, the learning-rate
/// schedule's step) is still owed. <see cref="FitOptions.ResumeFrom"/> continues a run from here.
/// </summary>
/// <param name="Step">Optimizer steps done so far.</param>
/// <param name="Epoch">The epoch in progress or just finished, 1-based (0 before training).</param>
/// <param name="StepInEpoch">Batches done in <paramref name="Epoch"/>.</param>
/// <param name="EpochEndPending">True when the epoch's last batch is done but its end-of-epoch work is
/// not (a checkpoint taken from <see cref="ITrainingCallback.OnStepEnd"/> on the last batch).</param>
public sealed record TrainingPosition(long Step, int Epoch, int StepInEpoch, bool EpochEndPending = false)
{
    /// <summary>The position inside a running <see cref="Trainer.Fit"/> at <see cref="ITrainingCallback.OnStepEnd"/>.</summary>
    public static TrainingPosition AtStepEnd(TrainingProgress progress, DataLoader loader)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(loader);
        return new(progress.Step, progress.Epoch, progress.StepInEpoch, progress.StepInEpoch == loader.BatchesPerEpoch);
    }

    /// <summary>The position after <see cref="Trainer.Fit"/> returned (its end-of-epoch work is done).</summary>
    public static TrainingPosition After(FitResult result, DataLoader loader)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(loader);
        int stepInEpoch = (loader.Position + loader.BatchSize - 1) / loader.BatchSize;
        return new(result.Steps, result.Epochs, Math.Min(stepInEpoch, loader.BatchesPerEpoch));
    }
}

using NormSharp.Data;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Serialization;

/// <summary>
/// Writes a <see cref="Checkpoint"/> every <see cref="EverySteps"/> optimizer steps during
/// <see cref="Trainer.Fit"/> (atomically, over the previous one), so a killed run resumes from its last
/// checkpoint with <see cref="FitOptions.ResumeFrom"/>.
/// </summary>
public sealed class CheckpointCallback : ITrainingCallback
{
    /// <param name="path">The checkpoint file, replaced at each save.</param>
    /// <param name="loader">The loader passed to <see cref="Trainer.Fit"/>.</param>
    /// <param name="everySteps">Save after every this many steps.</param>
    /// <param name="scheduler">The schedule passed in <see cref="FitOptions.Scheduler"/>, if any.</param>
    public CheckpointCallback(string path, DataLoader loader, int everySteps, LearningRateScheduler? scheduler = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(everySteps, 1);
        Path = path;
        Loader = loader ?? throw new ArgumentNullException(nameof(loader));
        EverySteps = everySteps;
        Scheduler = scheduler;
    }

    public string Path { get; }
    public DataLoader Loader { get; }
    public int EverySteps { get; }
    public LearningRateScheduler? Scheduler { get; }

    /// <summary>Checkpoints written by this callback.</summary>
    public int Saved { get; private set; }

    public void OnStepEnd(TrainingProgress progress)
    {
        if (progress.Step % EverySteps != 0) return;
        Checkpoint.Save(Path, progress.Trainer, Loader, TrainingPosition.AtStepEnd(progress, Loader), Scheduler);
        Saved++;
    }
}

namespace NormSharp.Training;

/// <summary>
/// Forwards training events to delegates — how a front end (the CLI's console progress, a plot) follows
/// training; the library itself writes nothing to the console.
/// </summary>
public sealed class ProgressCallback(
    Action<TrainingProgress, FitRecord>? onEvaluation = null,
    Action<TrainingProgress>? onEpochEnd = null,
    Action<TrainingProgress>? onStepEnd = null) : ITrainingCallback
{
    void ITrainingCallback.OnStepEnd(TrainingProgress progress) => onStepEnd?.Invoke(progress);

    void ITrainingCallback.OnEpochEnd(TrainingProgress progress) => onEpochEnd?.Invoke(progress);

    void ITrainingCallback.OnEvaluation(TrainingProgress progress, FitRecord record) => onEvaluation?.Invoke(progress, record);
}

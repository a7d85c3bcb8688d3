namespace NormSharp.Training;

/// <summary>
/// Hooks into <see cref="Trainer.Fit"/>. Every method has an empty default, so a callback implements
/// only what it needs. A callback stops training with <see cref="TrainingProgress.RequestStop"/>.
/// </summary>
public interface ITrainingCallback
{
    /// <summary>After every optimizer step. Runs on the hot path: keep it cheap.</summary>
    void OnStepEnd(TrainingProgress progress) { }

    /// <summary>After every full epoch (after its evaluation, before the learning-rate schedule steps).</summary>
    void OnEpochEnd(TrainingProgress progress) { }

    /// <summary>After every history record (see <see cref="FitOptions.EvaluateEverySteps"/>).</summary>
    void OnEvaluation(TrainingProgress progress, FitRecord record) { }
}

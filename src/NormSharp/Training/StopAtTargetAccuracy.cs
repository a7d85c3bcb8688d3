using System.Globalization;

namespace NormSharp.Training;

/// <summary>
/// Stops training at the first evaluation point whose validation accuracy reaches <see cref="Target"/>
/// and remembers when: the "steps to 90 % accuracy" measurement of the BN paper and its follow-ups.
/// Without a validation set it watches the training accuracy of the record instead.
/// </summary>
/// <remarks>The resolution is the evaluation interval (<see cref="FitOptions.EvaluateEverySteps"/>): the
/// reported step is the first evaluation point at or past the target, as in the paper's plots.</remarks>
public sealed class StopAtTargetAccuracy : ITrainingCallback
{
    /// <param name="target">Accuracy to reach, in (0, 1], e.g. 0.9.</param>
    /// <param name="stopTraining">False to only record when the target is reached and keep training.</param>
    public StopAtTargetAccuracy(double target, bool stopTraining = true)
    {
        if (!(target > 0 && target <= 1))
            throw new ArgumentOutOfRangeException(nameof(target), target, "target accuracy must be in (0, 1]");
        Target = target;
        StopTraining = stopTraining;
    }

    public double Target { get; }

    public bool StopTraining { get; }

    /// <summary>The record at which the target was first reached; null until then.</summary>
    public FitRecord? ReachedAt { get; private set; }

    public bool Reached => ReachedAt is not null;

    /// <summary>Step at which the target was first reached; null until then.</summary>
    public long? StepsToTarget => ReachedAt?.Step;

    void ITrainingCallback.OnEvaluation(TrainingProgress progress, FitRecord record)
    {
        if (Reached) return;
        double? accuracy = record.ValidationAccuracy ?? record.TrainAccuracy;
        if (accuracy is not { } a || a < Target) return;
        ReachedAt = record;
        if (StopTraining)
            progress.RequestStop(string.Create(CultureInfo.InvariantCulture,
                $"accuracy {a:P2} reached the target {Target:P2} at step {record.Step}"));
    }
}

namespace NormSharp.Training;

/// <summary>Records the loss (and batch accuracy) of every training step, for learning-curve plots.</summary>
/// <remarks>Lists grow by doubling; give <paramref name="capacity"/> the expected step count to avoid
/// even that allocation during training.</remarks>
public sealed class HistoryRecorder(int capacity = 1024) : ITrainingCallback
{
    private readonly List<float> _losses = new(capacity);
    private readonly List<float> _accuracies = new(capacity);

    /// <summary>Loss of each step, in order.</summary>
    public IReadOnlyList<float> Losses => _losses;

    /// <summary>Training-batch accuracy of each step (NaN for regression).</summary>
    public IReadOnlyList<float> BatchAccuracies => _accuracies;

    /// <summary>Every history record, in order.</summary>
    public List<FitRecord> Records { get; } = [];

    void ITrainingCallback.OnStepEnd(TrainingProgress progress)
    {
        _losses.Add(progress.Loss);
        _accuracies.Add(progress.BatchAccuracy is { } a ? (float)a : float.NaN);
    }

    void ITrainingCallback.OnEvaluation(TrainingProgress progress, FitRecord record) => Records.Add(record);
}

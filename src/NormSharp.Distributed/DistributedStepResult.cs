namespace NormSharp.Distributed;

/// <summary>What one data-parallel step saw, over the whole global batch (identical on every rank).</summary>
/// <param name="Loss">Mean loss over the global batch (before the update).</param>
/// <param name="Correct">Correct predictions in the global batch; null when the task is not classification.</param>
/// <param name="Examples">Examples in the global batch.</param>
public readonly record struct DistributedStepResult(double Loss, long? Correct, long Examples)
{
    /// <summary>Correct / Examples, or null.</summary>
    public double? Accuracy => Correct is { } c ? (double)c / Examples : null;
}

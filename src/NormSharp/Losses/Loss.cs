namespace NormSharp.Losses;

/// <summary>
/// A scalar loss over a batch: <see cref="Forward"/> returns the mean loss and remembers what
/// <see cref="Backward"/> needs; <see cref="Backward"/> returns dL/d(prediction) (owned, reused).
/// </summary>
public abstract class Loss
{
    /// <param name="prediction">The network output, e.g. logits [N, classes].</param>
    /// <param name="target">Class indices [N] (exact float values) or regression targets shaped like the prediction.</param>
    public abstract float Forward(Tensor prediction, Tensor target);

    public abstract Tensor Backward();
}

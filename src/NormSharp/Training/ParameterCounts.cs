namespace NormSharp.Training;

/// <summary>Parameter counts of a model or layer.</summary>
/// <param name="Trainable">Elements of parameters with <see cref="Layers.Parameter.RequiresGrad"/> true.</param>
/// <param name="NonTrainable">Elements of frozen parameters plus state buffers such as BatchNorm's
/// <c>running_mean</c>/<c>running_var</c> (Keras counts its moving mean/variance the same way);
/// <c>num_batches_tracked</c> is a step counter, not a weight, and is not counted.</param>
public readonly record struct ParameterCounts(long Trainable, long NonTrainable)
{
    public long Total => Trainable + NonTrainable;
}

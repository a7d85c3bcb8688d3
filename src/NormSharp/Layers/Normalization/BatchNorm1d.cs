namespace NormSharp.Layers;

/// <summary>
/// Batch normalization over a [N, C] or [N, C, L] input (PyTorch's <c>nn.BatchNorm1d</c>): statistics
/// per channel over N (or N·L) values. See <see cref="BatchNormBase"/> for the semantics.
/// </summary>
public sealed class BatchNorm1d : BatchNormBase
{
    /// <param name="numFeatures">C, the channel count (dimension 1 of the input).</param>
    /// <param name="eps">Added to the variance (PyTorch default 1e-5).</param>
    /// <param name="momentum">Weight of the new batch in the running averages (0.1; Keras's 0.99 is 0.01 here);
    /// null for a cumulative moving average.</param>
    /// <param name="affine">Learn γ and β.</param>
    /// <param name="trackRunningStats">Keep running statistics for eval mode.</param>
    public BatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    protected override (int N, int Spatial) Layout(int[] shape) => Layout1d(shape);
}

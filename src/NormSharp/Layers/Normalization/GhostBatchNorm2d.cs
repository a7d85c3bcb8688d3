namespace NormSharp.Layers;

/// <summary>
/// Ghost Batch Normalization (Hoffer, Hubara and Soudry 2017; Keras <c>virtual_batch_size</c>) over
/// [N, C, H, W] input: in training, each consecutive sub-batch of <see cref="VirtualBatchSize"/>
/// samples is normalised with its own statistics (and backpropagates through them); the running
/// statistics receive the averages of the sub-batch means and unbiased variances (Keras's rule).
/// Eval mode is plain BN. N must be a multiple of the virtual batch size (as in Keras); a batch no
/// larger than it is one virtual batch, so with VirtualBatchSize = N the layer is exactly BN.
/// </summary>
public sealed class GhostBatchNorm2d : BatchNormBase
{
    /// <param name="numFeatures">C, the channel count.</param>
    /// <param name="virtualBatchSize">Samples per virtual ("ghost") batch.</param>
    /// <param name="eps">Added to the variance (1e-5).</param>
    /// <param name="momentum">Weight of the new batch in the running averages (0.1), null: cumulative.</param>
    /// <param name="affine">Learn γ and β.</param>
    /// <param name="trackRunningStats">Keep running statistics for eval mode.</param>
    public GhostBatchNorm2d(int numFeatures, int virtualBatchSize, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
        if (virtualBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(virtualBatchSize), virtualBatchSize, "virtualBatchSize must be at least 1");
        VirtualBatchSize = virtualBatchSize;
    }

    /// <summary>Samples per virtual batch in training.</summary>
    public int VirtualBatchSize { get; }

    protected override int? GhostBatchSize => VirtualBatchSize;

    protected override (int N, int Spatial) Layout(int[] shape) => Layout2d(shape);

    public override string Describe() => base.Describe().TrimEnd(')') + $", virtual_batch_size={VirtualBatchSize})";
}

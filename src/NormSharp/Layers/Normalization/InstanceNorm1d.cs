namespace NormSharp.Layers;

/// <summary>Instance normalization over [N, C, L] (or unbatched [C, L]) input, PyTorch's
/// <c>nn.InstanceNorm1d</c>. See <see cref="InstanceNormBase"/>.</summary>
public sealed class InstanceNorm1d : InstanceNormBase
{
    /// <param name="numFeatures">C, the channel count.</param>
    /// <param name="eps">Added to the variance (1e-5).</param>
    /// <param name="momentum">Weight of the new batch in the running averages (0.1).</param>
    /// <param name="affine">Learn γ and β (off by default, as in PyTorch).</param>
    /// <param name="trackRunningStats">Keep running statistics for eval mode (off by default).</param>
    public InstanceNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = false, bool trackRunningStats = false)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    protected override (int N, int Spatial) Layout(int[] shape) => LayoutOf(shape, 3, "[N, C, L] or [C, L]");
}

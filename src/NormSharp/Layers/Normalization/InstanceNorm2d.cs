namespace NormSharp.Layers;

/// <summary>Instance normalization over [N, C, H, W] (or unbatched [C, H, W]) input, PyTorch's
/// <c>nn.InstanceNorm2d</c>. See <see cref="InstanceNormBase"/>.</summary>
public sealed class InstanceNorm2d : InstanceNormBase
{
    /// <inheritdoc cref="InstanceNorm1d(int, float, float?, bool, bool)"/>
    public InstanceNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = false, bool trackRunningStats = false)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    protected override (int N, int Spatial) Layout(int[] shape) => LayoutOf(shape, 4, "[N, C, H, W] or [C, H, W]");
}

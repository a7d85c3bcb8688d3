namespace NormSharp.Layers;

/// <summary>
/// Batch normalization over an [N, C, H, W] input (PyTorch's <c>nn.BatchNorm2d</c>): statistics per
/// channel over N·H·W values, as the paper prescribes for convolutional layers (each feature map is one
/// "activation", so the effective mini-batch is m = N·H·W). See <see cref="BatchNormBase"/>.
/// </summary>
public sealed class BatchNorm2d : BatchNormBase
{
    /// <inheritdoc cref="BatchNorm1d(int, float, float?, bool, bool)"/>
    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    protected override (int N, int Spatial) Layout(int[] shape) => Layout2d(shape);
}

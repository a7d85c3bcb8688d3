namespace NormSharp.Kernels;

/// <summary>
/// Sizes of a 2-d pooling over NCHW input with a square window, a stride and implicit padding (PyTorch
/// <c>MaxPool2d</c>/<c>AvgPool2d</c> with <c>ceil_mode=False</c>, dilation 1): H' = ⌊(H + 2p − k)/s⌋ + 1.
/// As in PyTorch, the padding may be at most half the window (<c>pad should be at most half of kernel size</c>).
/// </summary>
public readonly struct Pool2dGeometry
{
    /// <summary>Validates and stores the sizes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive or the padding is negative.</exception>
    /// <exception cref="ArgumentException">The padding exceeds half the window, or the window is larger than the padded input.</exception>
    public Pool2dGeometry(int batch, int channels, int height, int width, int kernelSize, int stride, int padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (2 * padding > kernelSize)
            throw new ArgumentException(
                $"padding {padding} must be at most half of the kernel size {kernelSize}", nameof(padding));
        if (height + 2 * padding < kernelSize || width + 2 * padding < kernelSize)
            throw new ArgumentException(
                $"kernel size {kernelSize} is larger than the padded input {height + 2 * padding}×{width + 2 * padding} " +
                $"(input {height}×{width}, padding {padding})", nameof(kernelSize));
        Batch = batch;
        Channels = channels;
        Height = height;
        Width = width;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        OutHeight = (height + 2 * padding - kernelSize) / stride + 1;
        OutWidth = (width + 2 * padding - kernelSize) / stride + 1;
        _ = checked((long)batch * channels * height * width);
    }

    public int Batch { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    /// <summary>Number of (image, channel) planes, N·C.</summary>
    public int Planes => Batch * Channels;

    public int InputPlaneSize => Height * Width;
    public int OutputPlaneSize => OutHeight * OutWidth;
    public int InputSize => Planes * InputPlaneSize;
    public int OutputSize => Planes * OutputPlaneSize;

    public override string ToString() =>
        $"pool [{Batch},{Channels},{Height},{Width}] → [{Batch},{Channels},{OutHeight},{OutWidth}], k={KernelSize} s={Stride} p={Padding}";
}

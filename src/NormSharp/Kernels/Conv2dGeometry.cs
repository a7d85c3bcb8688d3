namespace NormSharp.Kernels;

/// <summary>
/// Sizes of a 2-d convolution over NCHW input with a square kernel, a stride and zero padding (PyTorch
/// <c>Conv2d</c> with dilation 1 and groups 1). The output is
/// H' = ⌊(H + 2p − k)/s⌋ + 1, W' = ⌊(W + 2p − k)/s⌋ + 1 (PyTorch docs, <c>torch.nn.Conv2d</c>, "Shape").
/// </summary>
public readonly struct Conv2dGeometry
{
    /// <summary>Validates and stores the sizes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive or the padding is negative.</exception>
    /// <exception cref="ArgumentException">The kernel is larger than the padded input.</exception>
    public Conv2dGeometry(int batch, int inChannels, int height, int width, int outChannels, int kernelSize,
        int stride = 1, int padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (height + 2 * padding < kernelSize || width + 2 * padding < kernelSize)
            throw new ArgumentException(
                $"kernel size {kernelSize} is larger than the padded input {height + 2 * padding}×{width + 2 * padding} " +
                $"(input {height}×{width}, padding {padding})", nameof(kernelSize));
        Batch = batch;
        InChannels = inChannels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        OutHeight = (height + 2 * padding - kernelSize) / stride + 1;
        OutWidth = (width + 2 * padding - kernelSize) / stride + 1;
        _ = checked((long)batch * Math.Max(inChannels * height * width, outChannels * OutHeight * OutWidth));
    }

    public int Batch { get; }
    public int InChannels { get; }
    public int Height { get; }
    public int Width { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    /// <summary>Rows of one image's im2col matrix: C·k·k (the GEMM's inner dimension).</summary>
    public int ColumnRows => InChannels * KernelSize * KernelSize;

    /// <summary>Columns of one image's im2col matrix: H'·W' output positions.</summary>
    public int ColumnCols => OutHeight * OutWidth;

    /// <summary>Elements of one input image, C·H·W.</summary>
    public int InputImageSize => InChannels * Height * Width;

    /// <summary>Elements of one output image, C_out·H'·W'.</summary>
    public int OutputImageSize => OutChannels * OutHeight * OutWidth;

    public int InputSize => Batch * InputImageSize;
    public int OutputSize => Batch * OutputImageSize;

    /// <summary>Elements of the weight, C_out·C·k·k (layout [C_out, C, k, k]).</summary>
    public int WeightSize => OutChannels * ColumnRows;

    /// <summary>True for a 1×1 kernel with stride 1 and no padding: the input image already is its im2col matrix.</summary>
    public bool IsPointwise => KernelSize == 1 && Stride == 1 && Padding == 0;

    public override string ToString() =>
        $"conv [{Batch},{InChannels},{Height},{Width}] → [{Batch},{OutChannels},{OutHeight},{OutWidth}], k={KernelSize} s={Stride} p={Padding}";
}

using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// What <see cref="MaxPool2d"/> and <see cref="AvgPool2d"/> share: the window arguments (PyTorch defaults:
/// stride = kernel size, no padding, <c>ceil_mode=False</c>), input checks and the output shape.
/// </summary>
public abstract class Pool2dModule : Module
{
    private protected Tensor? _output;
    private protected Tensor? _gradInput;
    private protected int[] _inputShape = [];
    private protected Pool2dGeometry _geometry;

    private protected Pool2dModule(int kernelSize, int? stride, int padding)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        if (stride is < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "stride must be at least 1");
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (2 * padding > kernelSize)
            throw new ArgumentException($"padding {padding} must be at most half of the kernel size {kernelSize}", nameof(padding));
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
    }

    /// <summary>Side of the square window.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows (the kernel size unless given).</summary>
    public int Stride { get; }

    /// <summary>Implicit padding on every side (−∞ for max pooling, zeros counted in the average).</summary>
    public int Padding { get; }

    public override int[] OutputShape(int[] inputShape)
    {
        var g = GeometryFor(inputShape);
        return [g.Batch, g.Channels, g.OutHeight, g.OutWidth];
    }

    public override string Describe() => $"{GetType().Name}(k={KernelSize}, s={Stride}, p={Padding})";

    /// <summary>Checks the input, remembers its shape and geometry, and returns the output tensor to fill.</summary>
    private protected Tensor PrepareForward(Tensor x) => PrepareForward(x.Shape);

    /// <summary>As <see cref="PrepareForward(Tensor)"/> for an input of shape <paramref name="inputShape"/>.</summary>
    private protected Tensor PrepareForward(int[] inputShape)
    {
        _geometry = GeometryFor(inputShape);
        if (!_inputShape.AsSpan().SequenceEqual(inputShape)) _inputShape = (int[])inputShape.Clone();
        return Tensor.Ensure(ref _output, _geometry.Batch, _geometry.Channels, _geometry.OutHeight, _geometry.OutWidth);
    }

    /// <summary>Checks the output gradient against the last output and returns the input-gradient tensor to fill.</summary>
    private protected Tensor PrepareBackward(Tensor gradOutput)
    {
        if (_output is null) throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(_output.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {_output.ShapeString()}",
                nameof(gradOutput));
        return Tensor.Ensure(ref _gradInput, _inputShape);
    }

    private Pool2dGeometry GeometryFor(int[] shape)
    {
        if (shape.Length != 4)
            throw new ArgumentException($"{Describe()} expects input [N, C, H, W], got [{string.Join(", ", shape)}]", "x");
        if (shape[0] < 1 || shape[1] < 1 || shape[2] + 2 * Padding < KernelSize || shape[3] + 2 * Padding < KernelSize)
            throw new ArgumentException(
                $"{Describe()}: input [{string.Join(", ", shape)}] is empty or smaller than the window " +
                $"(needs H + 2·{Padding} ≥ {KernelSize} and W + 2·{Padding} ≥ {KernelSize})", "x");
        return new Pool2dGeometry(shape[0], shape[1], shape[2], shape[3], KernelSize, Stride, Padding);
    }
}

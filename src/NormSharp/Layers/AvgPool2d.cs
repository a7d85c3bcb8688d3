using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// 2-d average pooling over [N, C, H, W] (PyTorch <c>torch.nn.AvgPool2d</c> with its defaults
/// <c>ceil_mode=False</c>, <c>count_include_pad=True</c>): y[n,c,i,j] = (1/k²)·Σ over the window of x, the
/// zero padding included in the count. Backward spreads each output gradient evenly over its window.
/// </summary>
public sealed class AvgPool2d : Pool2dModule
{
    /// <param name="kernelSize">Side of the square window.</param>
    /// <param name="stride">Step between windows; the kernel size when null (PyTorch's default).</param>
    /// <param name="padding">Implicit zero padding on every side, at most half the kernel size.</param>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0) : base(kernelSize, stride, padding) { }

    public override Tensor Forward(Tensor x)
    {
        var y = PrepareForward(x);
        Pooling.AvgForward(_geometry, x.Span, y.Span);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        var dx = PrepareBackward(gradOutput);
        Pooling.AvgBackward(_geometry, gradOutput.Span, dx.Span);
        return dx;
    }

    /// <summary>Whether the layer before the activation before this one may compute this layer's output itself
    /// (<see cref="Sequential"/>'s BN → activation → pool fusion): 2×2 windows, stride 2, no padding, over an input of
    /// even height and width, so that every input value lies in exactly one window.</summary>
    internal bool PoolsEvenTwoByTwo(int[] inputShape) =>
        KernelSize == 2 && Stride == 2 && Padding == 0 && inputShape.Length == 4 && inputShape[2] % 2 == 0 && inputShape[3] % 2 == 0;

    /// <summary>This layer's output tensor for an input of shape <paramref name="inputShape"/>, for the preceding layer to
    /// fill in its forward; the backward then runs as after <see cref="Forward"/>.</summary>
    internal Tensor OutputForFusedForward(int[] inputShape) => PrepareForward(inputShape);

    /// <summary>This layer's backward and then that of <paramref name="activation"/>, the layer before it, in one pass
    /// (<see cref="Sequential"/>'s activation → average pooling fusion, LeNet's sigmoid → pool): returns the
    /// activation's input gradient, the same bits as the two <see cref="Backward"/> calls, in this layer's buffer.</summary>
    internal Tensor BackwardThroughActivation(Tensor gradOutput, ActivationModule activation)
    {
        var dx = PrepareBackward(gradOutput);
        var y = activation.OutputForFusedBackward(_inputShape);
        Pooling.AvgBackward(_geometry, gradOutput.Span, dx.Span, activation.FusedForm, y.Span);
        return dx;
    }
}

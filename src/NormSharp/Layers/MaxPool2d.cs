using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// 2-d max pooling over [N, C, H, W] (PyTorch <c>torch.nn.MaxPool2d</c>, <c>ceil_mode=False</c>, dilation 1):
/// y[n,c,i,j] = max over the window of x, the padding counting as −∞. Backward routes each output gradient
/// to the element that was the maximum (the first one in window order on ties, as ATen does).
/// </summary>
public sealed class MaxPool2d : Pool2dModule
{
    private int[] _argmax = [];

    /// <param name="kernelSize">Side of the square window.</param>
    /// <param name="stride">Step between windows; the kernel size when null (PyTorch's default).</param>
    /// <param name="padding">Implicit −∞ padding on every side, at most half the kernel size.</param>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0) : base(kernelSize, stride, padding) { }

    public override Tensor Forward(Tensor x)
    {
        var y = PrepareForward(x);
        if (_argmax.Length < y.Size) _argmax = GC.AllocateUninitializedArray<int>(y.Size);
        Pooling.MaxForward(_geometry, x.Span, y.Span, _argmax.AsSpan(0, y.Size));
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        var dx = PrepareBackward(gradOutput);
        Pooling.MaxBackward(_geometry, gradOutput.Span, _argmax.AsSpan(0, gradOutput.Size), dx.Span);
        return dx;
    }
}

using NormSharp.Layers;
using NormSharp.Tests.Kernels;

namespace NormSharp.Tests.Layers;

/// <summary><see cref="Conv2d"/>: finite-difference gradients, a hand-computed answer, PyTorch's
/// initialisation and state keys, frozen parameters, input checks and zero allocation after warm-up.</summary>
[Collection(KernelSerialCollection.Name)]
public class ConvLayerTests
{
    [Theory]
    [InlineData(true, 1, 0, 5, 5)]
    [InlineData(false, 1, 0, 5, 6)]
    [InlineData(true, 2, 0, 7, 7)]
    [InlineData(true, 2, 1, 6, 7)]
    [InlineData(true, 1, 1, 4, 4)]
    public void GradientsMatchFiniteDifferences(bool bias, int stride, int padding, int h, int w)
    {
        var conv = new Conv2d(2, 3, 3, stride, padding, bias, new Rng(1));
        var x = GradientCheck.Random(new Rng(2), [2, 2, h, w]);
        GradientCheck.Check(conv, x);
    }

    [Fact]
    public void KnownAnswerOnAThreeByThreeImage()
    {
        // x = [[1,2,3],[4,5,6],[7,8,9]], W = [[1,2],[3,4]], b = 0.5:
        // y[0,0] = 1·1 + 2·2 + 3·4 + 4·5 + 0.5 = 37.5, y[0,1] = 2 + 6 + 15 + 24 + 0.5 = 47.5,
        // y[1,0] = 4 + 10 + 21 + 32 + 0.5 = 67.5,      y[1,1] = 5 + 12 + 24 + 36 + 0.5 = 77.5.
        var conv = new Conv2d(1, 1, 2);
        new[] { 1f, 2, 3, 4 }.CopyTo(conv.WeightParameter.Value.Span);
        conv.BiasParameter!.Value[0] = 0.5f;
        var y = conv.Forward(Tensor.FromArray([1f, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3));
        Assert.Equal([1, 1, 2, 2], y.Shape);
        Assert.Equal([37.5f, 47.5f, 67.5f, 77.5f], y.ToArray());

        // With dy = 1 everywhere: db = 4, dW[u,v] = sum of the 2×2 block at (u,v) = [[12,16],[24,28]],
        // dx = how many windows weight each pixel: corners 1,2,3,4, edges 1+2, …, centre 1+2+3+4.
        conv.ZeroGrad();
        var dx = conv.Backward(Tensor.Full(1f, 1, 1, 2, 2));
        Assert.Equal([12f, 16, 24, 28], conv.WeightParameter.Grad.ToArray());
        Assert.Equal(4f, conv.BiasParameter.Grad[0]);
        Assert.Equal([1f, 3, 2, 4, 10, 6, 3, 7, 4], dx.ToArray());
    }

    [Fact]
    public void InitialisesLikePyTorchAndNamesStateLikePyTorch()
    {
        var conv = new Conv2d(6, 16, 5, rng: new Rng(3));
        float bound = 1f / MathF.Sqrt(6 * 25);
        Assert.Equal([16, 6, 5, 5], conv.WeightParameter.Value.Shape);
        Assert.Equal([16], conv.BiasParameter!.Value.Shape);
        foreach (float v in conv.WeightParameter.Value.ToArray()) Assert.InRange(v, -bound, bound);
        foreach (float v in conv.BiasParameter.Value.ToArray()) Assert.InRange(v, -bound, bound);
        float spread = conv.WeightParameter.Value.ToArray().Max() - conv.WeightParameter.Value.ToArray().Min();
        Assert.True(spread > 1.8f * bound, "weights should fill the interval");
        Assert.Equal(conv.WeightParameter.Value.ToArray(), new Conv2d(6, 16, 5, rng: new Rng(3)).WeightParameter.Value.ToArray());
        Assert.Equal(["weight", "bias"], conv.StateDict().Keys);
        Assert.Equal(["weight"], new Conv2d(1, 2, 3, bias: false).StateDict().Keys);
        Assert.Null(new Conv2d(1, 2, 3, bias: false).BiasParameter);
    }

    [Fact]
    public void ExposesConstructorArgumentsAndShapes()
    {
        var conv = new Conv2d(3, 8, 5, stride: 2, padding: 1, bias: false);
        Assert.Equal((3, 8, 5, 2, 1, false), (conv.InChannels, conv.OutChannels, conv.KernelSize, conv.Stride, conv.Padding, conv.Bias));
        Assert.Equal([4, 8, 14, 15], conv.OutputShape([4, 3, 30, 32]));
        Assert.Equal("Conv2d(3 → 8, k=5, s=2, p=1, no bias)", conv.Describe());
    }

    [Fact]
    public void SkipsWhatIsNotNeeded()
    {
        var x = GradientCheck.Random(new Rng(4), [2, 2, 5, 5]);
        var dy = GradientCheck.Random(new Rng(5), [2, 3, 3, 3]);
        var full = new Conv2d(2, 3, 3, rng: new Rng(6));
        full.Forward(x);
        var dxFull = full.Backward(dy).ToArray();

        var noInput = new Conv2d(2, 3, 3, rng: new Rng(6)) { NeedsInputGradient = false };
        noInput.Forward(x);
        Assert.Equal(0, noInput.Backward(dy).Size);
        Assert.Equal(full.WeightParameter.Grad.ToArray(), noInput.WeightParameter.Grad.ToArray());

        var frozen = new Conv2d(2, 3, 3, rng: new Rng(6));
        frozen.WeightParameter.RequiresGrad = false;
        frozen.Forward(x);
        Assert.Equal(dxFull, frozen.Backward(dy).ToArray());
        Assert.All(frozen.WeightParameter.Grad.ToArray(), g => Assert.Equal(0f, g));
        Approx.Equal(full.BiasParameter!.Grad.Span, frozen.BiasParameter!.Grad.Span, "db");
    }

    [Fact]
    public void RejectsWrongInputWithTheLayerAndExpectedShape()
    {
        var conv = new Conv2d(3, 4, 5);
        var rank = Assert.Throws<ArgumentException>(() => conv.Forward(new Tensor(2, 3, 28)));
        Assert.Contains("Conv2d(3 → 4", rank.Message);
        Assert.Contains("[N, 3, H, W]", rank.Message);
        Assert.Contains("[N, 3, H, W]", Assert.Throws<ArgumentException>(() => conv.Forward(new Tensor(2, 1, 28, 28))).Message);
        Assert.Contains("smaller than the kernel", Assert.Throws<ArgumentException>(() => conv.Forward(new Tensor(2, 3, 4, 28))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(0, 4, 5));
        conv.Forward(new Tensor(1, 3, 6, 6));
        Assert.Contains("does not match", Assert.Throws<ArgumentException>(() => conv.Backward(new Tensor(1, 4, 3, 3))).Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SteadyStateAllocatesNothing(int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        // Small enough that a window of steps is short: the allocation counter is process-wide and the test
        // host allocates now and then on its own threads.
        var conv = new Conv2d(3, 4, 3, stride: 2, padding: 1, rng: new Rng(7));
        var x = GradientCheck.Random(new Rng(8), [8, 3, 9, 9]);
        var dy = GradientCheck.Random(new Rng(9), [8, 4, 5, 5]);
        Assert.Equal(0, AllocationProbe.LeastBytes(() => { conv.Forward(x); conv.Backward(dy); }, warmUp: 20, windows: 5));
    });
}

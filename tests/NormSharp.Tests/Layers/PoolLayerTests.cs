using NormSharp.Layers;
using NormSharp.Tests.Kernels;

namespace NormSharp.Tests.Layers;

/// <summary><see cref="MaxPool2d"/>, <see cref="AvgPool2d"/> and <see cref="Flatten"/>: finite-difference
/// gradients, known answers, PyTorch defaults, input checks, zero allocation after warm-up.</summary>
[Collection(KernelSerialCollection.Name)]
public class PoolLayerTests
{
    /// <summary>Distinct values 0.05 apart, shuffled: a finite-difference step of 0.01 never changes which
    /// element is the maximum, so max pooling is differentiable at the test point.</summary>
    private static Tensor WithoutTies(int seed, params int[] shape)
    {
        var t = new Tensor(shape);
        var values = Enumerable.Range(0, t.Size).Select(i => (float)(0.05 * (i - t.Size / 2))).ToArray();
        new Rng((ulong)seed).Shuffle(values.AsSpan());
        values.CopyTo(t.Data, 0);
        return t;
    }

    [Theory]
    [InlineData(2, null, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 0)]
    public void MaxPoolGradientsMatchFiniteDifferences(int k, int? s, int p) =>
        GradientCheck.Check(new MaxPool2d(k, s, p), WithoutTies(1, 2, 3, 6, 7));

    [Theory]
    [InlineData(2, null, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    public void AvgPoolGradientsMatchFiniteDifferences(int k, int? s, int p) =>
        GradientCheck.Check(new AvgPool2d(k, s, p), GradientCheck.Random(new Rng(2), [2, 3, 6, 7]));

    [Fact]
    public void FlattenGradientsMatchFiniteDifferencesAndShareStorage()
    {
        var flatten = new Flatten();
        var x = GradientCheck.Random(new Rng(3), [3, 2, 4, 5]);
        GradientCheck.Check(flatten, x);
        var y = flatten.Forward(x);
        Assert.Equal([3, 40], y.Shape);
        Assert.Same(x.Data, y.Data);
        var dx = flatten.Backward(y);
        Assert.Equal([3, 2, 4, 5], dx.Shape);
        Assert.Same(x.Data, dx.Data);
        Assert.Equal([7, 60], flatten.OutputShape([7, 3, 4, 5]));
        Assert.Contains("Flatten()", Assert.Throws<ArgumentException>(() => flatten.Forward(new Tensor(5))).Message);
    }

    [Fact]
    public void KnownAnswers()
    {
        var x = Tensor.FromArray([1f, 5, 2, 0, 3, 4, 8, 1, 0, 2, 6, 7, 9, 1, 3, 2], 1, 1, 4, 4);
        var max = new MaxPool2d(2);
        Assert.Equal([5f, 8, 9, 7], max.Forward(x).ToArray());
        Assert.Equal([0f, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 4, 3, 0, 0, 0],
            max.Backward(Tensor.FromArray([1f, 2, 3, 4], 1, 1, 2, 2)).ToArray());

        var avg = new AvgPool2d(2);
        Assert.Equal([13f / 4, 11f / 4, 12f / 4, 18f / 4], avg.Forward(x).ToArray());
        // count_include_pad: the corner window of a 3×3 pool with padding 1 holds 4 pixels but divides by 9.
        var padded = new AvgPool2d(3, 2, 1);
        Assert.Equal((1f + 5 + 3 + 4) / 9, padded.Forward(x)[0], 6);
    }

    [Fact]
    public void DefaultsAndChecks()
    {
        var max = new MaxPool2d(3);
        Assert.Equal((3, 3, 0), (max.KernelSize, max.Stride, max.Padding));
        var avg = new AvgPool2d(2, 1, 1);
        Assert.Equal((2, 1, 1), (avg.KernelSize, avg.Stride, avg.Padding));
        Assert.Equal([2, 6, 12, 12], new AvgPool2d(2).OutputShape([2, 6, 24, 24]));
        Assert.Equal([2, 6, 25, 25], avg.OutputShape([2, 6, 24, 24]));
        Assert.Equal("MaxPool2d(k=3, s=3, p=0)", max.Describe());
        Assert.Throws<ArgumentException>(() => new MaxPool2d(2, padding: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2d(2, stride: 0));
        var rank = Assert.Throws<ArgumentException>(() => max.Forward(new Tensor(2, 36)));
        Assert.Contains("MaxPool2d(k=3", rank.Message);
        Assert.Contains("[N, C, H, W]", rank.Message);
        Assert.Contains("smaller than the window", Assert.Throws<ArgumentException>(() => max.Forward(new Tensor(1, 1, 2, 9))).Message);
    }

    [Fact]
    public void SteadyStateAllocatesNothing() => KernelSerialCollection.WithThreads(2, () =>
    {
        var model = new Sequential(new MaxPool2d(2), new AvgPool2d(3, 1, 1), new Flatten());
        var x = GradientCheck.Random(new Rng(4), [32, 6, 24, 24]);
        var dy = GradientCheck.Random(new Rng(5), [32, 6 * 12 * 12]);
        Assert.Equal(0, AllocationProbe.LeastBytes(() => { model.Forward(x); model.Backward(dy); }));
    });
}

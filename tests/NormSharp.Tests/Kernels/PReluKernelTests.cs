using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="PReluKernel"/> against <see cref="PReluReference"/> on random [outer, C, inner] shapes,
/// odd sizes included, in all three layouts (shared slope, [N, C] rows, channel planes).</summary>
public class PReluKernelTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 1, 1)]       // shared slope over a flat vector
    [InlineData(5, 1, 37)]      // shared slope over [N, 1, L]
    [InlineData(3, 13, 1)]      // [N, C] rows, vector body + tail
    [InlineData(4, 40, 1)]
    [InlineData(3, 5, 9)]       // small planes, scalar path
    [InlineData(2, 3, 33)]      // planes with a vector body and a tail
    [InlineData(2, 6, 24 * 24)]
    [InlineData(0, 4, 5)]       // empty batch
    public void MatchesReference(int outer, int channels, int inner)
    {
        var rng = new Rng((ulong)(outer * 1000 + channels * 10 + inner));
        int n = outer * channels * inner;
        var x = Approx.Random(rng, n);
        for (int i = 0; i < n; i += 7) x[i] = 0f; // the kink: x = 0 takes the negative branch in both
        var dy = Approx.Random(rng, n);
        var alpha = Approx.Random(rng, channels);

        float[] fast = new float[n], slow = new float[n];
        PReluKernel.Forward(x, alpha, outer, inner, fast);
        PReluReference.Forward(x, alpha, outer, inner, slow);
        Approx.Equal(slow, fast, "y", 0f, 0f);

        float[] dxFast = new float[n], dxSlow = new float[n];
        float[] daFast = Enumerable.Repeat(0.5f, channels).ToArray(), daSlow = Enumerable.Repeat(0.5f, channels).ToArray();
        PReluKernel.Backward(x, dy, alpha, outer, inner, dxFast, daFast);
        PReluReference.Backward(x, dy, alpha, outer, inner, dxSlow, daSlow);
        Approx.Equal(dxSlow, dxFast, "dx", 0f, 0f);
        Approx.Equal(daSlow, daFast, "dAlpha (accumulated onto 0.5)", 1e-5f, 1e-5f);

        // Either output may be skipped.
        var onlyAlpha = new float[channels];
        PReluKernel.Backward(x, dy, alpha, outer, inner, default, onlyAlpha);
        Approx.Equal(daSlow.Select(v => v - 0.5f).ToArray(), onlyAlpha, "dAlpha alone", 1e-5f, 1e-5f);
        var onlyDx = new float[n];
        PReluKernel.Backward(x, dy, alpha, outer, inner, onlyDx, default);
        Approx.Equal(dxSlow, onlyDx, "dx alone", 0f, 0f);
    }

    [Fact]
    public void ForwardMayRunInPlace()
    {
        var rng = new Rng(3);
        var x = Approx.Random(rng, 2 * 3 * 17);
        var alpha = new[] { 0.1f, 0.2f, 0.3f };
        var expected = new float[x.Length];
        PReluReference.Forward(x, alpha, 2, 17, expected);
        PReluKernel.Forward(x, alpha, 2, 17, x);
        Approx.Equal(expected, x, "in place", 0f, 0f);
    }

    [Fact]
    public void MismatchedShapesAreRejectedByName()
    {
        var alpha = new float[3];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => PReluKernel.Forward(new float[10], alpha, 1, 3, new float[10])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => PReluKernel.Forward(new float[9], alpha, 1, 3, new float[8])).ParamName);
        Assert.Equal("dAlpha", Assert.Throws<ArgumentException>(() =>
            PReluKernel.Backward(new float[9], new float[9], alpha, 1, 3, default, new float[2])).ParamName);
    }
}

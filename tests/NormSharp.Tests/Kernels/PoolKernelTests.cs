using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="Pooling"/> against the nested-loop <see cref="PoolingReference"/> on random shapes,
/// with ties and NaN for max pooling, at 1 and 2 threads.</summary>
[Collection(KernelSerialCollection.Name)]
public class PoolKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MatchesReferenceOnRandomShapes(int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        var rng = new Rng((ulong)(200 + threads));
        int valid = 0, invalid = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 1 + rng.NextInt(5), c = 1 + rng.NextInt(7), h = 1 + rng.NextInt(13), w = 1 + rng.NextInt(13);
            int k = 1 + rng.NextInt(5), s = 1 + rng.NextInt(3), p = rng.NextInt(3);
            if (2 * p > k || h + 2 * p < k || w + 2 * p < k)
            {
                Assert.Throws<ArgumentException>(() => new Pool2dGeometry(n, c, h, w, k, s, p));
                invalid++;
                continue;
            }
            CheckAgainstReference(new Pool2dGeometry(n, c, h, w, k, s, p), rng);
            valid++;
        }
        Assert.True(valid > 80 && invalid > 10, $"{valid} valid, {invalid} invalid shapes drawn");
    });

    [Theory]
    [InlineData(256, 6, 24, 24, 2, 2, 0)]  // LeNet's first pooling, many chunks
    [InlineData(64, 16, 8, 8, 2, 2, 0)]    // LeNet's second
    [InlineData(4, 6, 28, 28, 2, 2, 0)]    // d2l LeNet's first: 14 outputs per row, one 8-wide vector and a scalar tail
    [InlineData(3, 2, 7, 9, 2, 2, 0)]      // odd sizes: the last row and column are outside every window
    [InlineData(3, 2, 6, 9, 2, 2, 0)]      // odd width, even height: the planes run as one run of row pairs
    [InlineData(2, 3, 8, 70, 2, 2, 0)]     // two whole 32-column steps and a 6-column tail per row
    [InlineData(5, 1, 4, 64, 2, 2, 0)]     // whole steps only
    [InlineData(256, 16, 8, 8, 2, 2, 0)]   // LeNet's second at batch 256
    [InlineData(3, 2, 7, 7, 3, 2, 1)]      // overlapping windows with padding
    [InlineData(2, 3, 5, 4, 3, 1, 1)]
    public void MatchesReferenceOnNamedShapes(int n, int c, int h, int w, int k, int s, int p)
    {
        foreach (int threads in (int[])[1, 2])
            KernelSerialCollection.WithThreads(threads, () => CheckAgainstReference(new Pool2dGeometry(n, c, h, w, k, s, p), new Rng(4)));
    }

    [Fact]
    public void MaxTakesTheFirstOfTiedMaximaAndPropagatesNaN()
    {
        var g = new Pool2dGeometry(1, 1, 4, 4, 2, 2);
        float[] x = [1, 1, 2, 0,
                     1, 1, float.NaN, 5,
                     0, 3, 7, 7,
                     3, 2, 7, 7];
        float[] y = new float[4];
        int[] argmax = new int[4];
        Pooling.MaxForward(g, x, y, argmax);
        Assert.Equal([0, 6, 9, 10], argmax);
        Assert.Equal(1f, y[0]);
        Assert.True(float.IsNaN(y[1]));
        Assert.Equal([3f, 7f], y[2..]);
    }

    [Fact]
    public void RejectsPaddingWiderThanHalfTheWindowAndWrongSizes()
    {
        Assert.Contains("at most half", Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 1, 6, 6, 2, 2, 2)).Message);
        var g = new Pool2dGeometry(2, 3, 6, 6, 2, 2);
        Assert.Contains("output", Assert.Throws<ArgumentException>(() =>
            Pooling.AvgForward(g, new float[g.InputSize], new float[g.OutputSize + 1])).Message);
        Assert.Contains("argmax", Assert.Throws<ArgumentException>(() =>
            Pooling.MaxForward(g, new float[g.InputSize], new float[g.OutputSize], new int[1])).Message);
    }

    private static void CheckAgainstReference(Pool2dGeometry g, Rng rng)
    {
        float[] x = Approx.Random(rng, g.InputSize), dy = Approx.Random(rng, g.OutputSize);
        // Repeated values make ties: both must pick the same (first) maximum.
        for (int i = 0; i < x.Length; i += 7) x[i] = 0.5f;

        float[] y = Enumerable.Repeat(float.NaN, g.OutputSize).ToArray(), yRef = new float[g.OutputSize];
        int[] idx = new int[g.OutputSize], idxRef = new int[g.OutputSize];
        Pooling.MaxForward(g, x, y, idx);
        PoolingReference.MaxForward(g, x, yRef, idxRef);
        Assert.Equal(yRef, y);
        Assert.Equal(idxRef, idx);

        float[] dx = Enumerable.Repeat(float.NaN, g.InputSize).ToArray(), dxRef = new float[g.InputSize];
        Pooling.MaxBackward(g, dy, idx, dx);
        PoolingReference.MaxBackward(g, dy, idxRef, dxRef);
        Approx.Equal(dxRef, dx, $"max dx of {g}");

        Pooling.AvgForward(g, x, y);
        PoolingReference.AvgForward(g, x, yRef);
        Approx.Equal(yRef, y, $"avg y of {g}");

        Array.Fill(dx, float.NaN);
        Pooling.AvgBackward(g, dy, dx);
        PoolingReference.AvgBackward(g, dy, dxRef);
        Approx.Equal(dxRef, dx, $"avg dx of {g}");
    }

    /// <summary>The 2×2 average pooling over whole runs of rows (AVX-512 or AVX2 whole vectors, their partial last steps
    /// overhanging into later rows) gives the bits of the row-by-row kernels, forward and backward: LeNet's shapes (rows of
    /// 28 and 10 columns), whole steps only, an odd width (its last column outside every window) and one plane.</summary>
    [Theory]
    [InlineData(1, 4, 6, 28, 28)]
    [InlineData(2, 9, 16, 10, 10)]
    [InlineData(2, 3, 2, 8, 64)]
    [InlineData(1, 3, 2, 6, 9)]
    [InlineData(2, 2, 3, 12, 46)]
    [InlineData(1, 1, 1, 2, 2)]
    public void WholeVectorRunsGiveTheBitsOfTheRows(int threads, int n, int c, int h, int w) => KernelSerialCollection.WithThreads(threads, () =>
    {
        var g = new Pool2dGeometry(n, c, h, w, 2, 2);
        var rng = new Rng(43);
        float[] x = Approx.Random(rng, g.InputSize), dy = Approx.Random(rng, g.OutputSize);
        (float[] Y, float[] Dx) Run(bool rowsOnly)
        {
            Pooling.TwoByTwoRowsOnly = rowsOnly;
            try
            {
                float[] y = Enumerable.Repeat(float.NaN, g.OutputSize).ToArray(), dx = Enumerable.Repeat(float.NaN, g.InputSize).ToArray();
                Pooling.AvgForward(g, x, y);
                Pooling.AvgBackward(g, dy, dx);
                return (y, dx);
            }
            finally { Pooling.TwoByTwoRowsOnly = false; }
        }
        var (rowsY, rowsDx) = Run(true);
        var (runsY, runsDx) = Run(false);
        Assert.Equal(rowsY, runsY);
        Assert.Equal(rowsDx, runsDx);
    });

    /// <summary>The average pooling's backward with the activation before it fused in gives the bits of the two passes one
    /// after the other: LeNet's 2×2 windows over even planes (blocks of planes), odd planes (cleared first), overlapping
    /// windows (the plane-by-plane path), planes of 28 × 28 in blocks of five.</summary>
    [Theory]
    [InlineData(1, 2, 3, 28, 28, 2, 2, 0)]
    [InlineData(2, 9, 6, 10, 10, 2, 2, 0)]
    [InlineData(1, 3, 2, 7, 9, 2, 2, 0)]
    [InlineData(2, 2, 3, 9, 8, 3, 2, 1)]
    [InlineData(2, 40, 1, 4, 4, 2, 2, 0)]
    public void FusedActivationBackwardGivesTheBitsOfTheTwoPasses(int threads, int n, int c, int h, int w, int k, int s, int p) =>
        KernelSerialCollection.WithThreads(threads, () =>
        {
            var g = new Pool2dGeometry(n, c, h, w, k, s, p);
            var rng = new Rng(41);
            float[] z = Approx.Random(rng, g.InputSize), dy = Approx.Random(rng, g.OutputSize);
            foreach (var activation in new[] { FusedActivation.Sigmoid, FusedActivation.Relu })
            {
                var y = new float[g.InputSize];
                Activations.Apply(activation, z, y);
                float[] spread = new float[g.InputSize], expected = new float[g.InputSize];
                Pooling.AvgBackward(g, dy, spread);
                if (activation == FusedActivation.Sigmoid) Activations.SigmoidBackward(y, spread, expected);
                else Activations.ReluBackward(y, spread, expected);

                var fused = Enumerable.Repeat(float.NaN, g.InputSize).ToArray();
                Pooling.AvgBackward(g, dy, fused, activation, y);
                Assert.Equal(expected, fused);
            }
        });

    [Fact]
    public void FusedActivationBackwardNamesAShortActivationOutput()
    {
        var g = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 0);
        var e = Assert.Throws<ArgumentException>(() => Pooling.AvgBackward(g, new float[4], new float[16], FusedActivation.Sigmoid, new float[15]));
        Assert.Contains("activation output has 15 elements", e.Message);
    }
}

using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="Conv2dKernel"/> against the nested-loop <see cref="Conv2dReference"/>: random shapes
/// with odd sizes, padding wider than some windows, strides that skip input, 1 and 2 threads.</summary>
[Collection(KernelSerialCollection.Name)]
public class ConvKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MatchesReferenceOnRandomShapes(int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        var rng = new Rng((ulong)(100 + threads));
        int valid = 0, invalid = 0;
        for (int trial = 0; trial < 160; trial++)
        {
            int n = 1 + rng.NextInt(5), c = 1 + rng.NextInt(7), o = 1 + rng.NextInt(7);
            int h = 1 + rng.NextInt(13), w = 1 + rng.NextInt(13);
            int k = 1 + rng.NextInt(5), s = 1 + rng.NextInt(3), p = rng.NextInt(3);
            if (h + 2 * p < k || w + 2 * p < k)
            {
                var e = Assert.Throws<ArgumentException>(() => new Conv2dGeometry(n, c, h, w, o, k, s, p));
                Assert.Contains("larger than the padded input", e.Message);
                invalid++;
                continue;
            }
            CheckAgainstReference(new Conv2dGeometry(n, c, h, w, o, k, s, p), rng, withBias: trial % 3 != 0);
            valid++;
        }
        Assert.True(valid > 80 && invalid > 5, $"{valid} valid, {invalid} invalid shapes drawn");
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ChannelLanesMatchReferenceOnRandomShapes(int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        // Stride 1 and C_out a multiple of 16: forward and weight gradient with output channels in the lanes,
        // position and tap counts that leave every remainder of a block of 8.
        var rng = new Rng((ulong)(200 + threads));
        for (int trial = 0; trial < 24; trial++)
        {
            int n = 1 + rng.NextInt(4), c = 1 + rng.NextInt(6), o = 16 * (1 + rng.NextInt(2));
            int k = 1 + rng.NextInt(5), p = rng.NextInt(3);
            int h = Math.Max(1, k - 2 * p) + rng.NextInt(9), w = Math.Max(1, k - 2 * p) + rng.NextInt(9);
            CheckAgainstReference(new Conv2dGeometry(n, c, h, w, o, k, 1, p), rng, withBias: trial % 2 == 0);
        }
    });

    [Theory]
    [InlineData(9, 1, 28, 28, 6, 5, 1, 0)]   // LeNet conv1, several chunks at 2 threads
    [InlineData(5, 6, 12, 12, 16, 5, 1, 0)]  // LeNet conv2
    [InlineData(9, 1, 28, 28, 6, 5, 1, 2)]   // d2l LeNet conv1 (padding 2)
    [InlineData(5, 6, 14, 14, 16, 5, 1, 0)]  // d2l LeNet conv2: 100 positions, im2col rows padded to 112
    [InlineData(3, 4, 7, 9, 5, 1, 1, 0)]     // pointwise: the input is its own im2col matrix
    [InlineData(2, 3, 8, 8, 4, 3, 2, 1)]
    [InlineData(1, 2, 1, 1, 3, 3, 1, 1)]     // one pixel, all but the centre of the kernel in the padding
    [InlineData(2, 1, 5, 3, 2, 5, 3, 2)]
    [InlineData(3, 2, 6, 6, 3, 3, 1, 0)]     // 4×4 = 16 output positions: weight gradient kept as lane sums
    [InlineData(3, 3, 9, 11, 32, 3, 1, 1)]   // output channels in the vector lanes: two blocks of 16, padded input
    [InlineData(2, 2, 3, 3, 16, 3, 1, 0)]    // one output position: a block of 8 that repeats it
    [InlineData(4, 5, 6, 7, 16, 1, 1, 1)]    // 1×1 kernel with padding: not pointwise, channel lanes
    [InlineData(2, 1, 4, 4, 16, 4, 1, 0)]    // one input channel, 16 taps: two full tap blocks
    [InlineData(2, 2, 20, 40, 5, 3, 1, 1)]   // output columns in the vector lanes, rows of 40: two 32-column blocks per row
    // Remainders of the 8-lane (AVX2) blocks, where Vector512 is not accelerated:
    [InlineData(3, 2, 12, 12, 7, 3, 1, 1)]   // spatial lanes: rows of 12 (one short 16-column block), 6 + 1 channels, 9 taps (5 + 4)
    [InlineData(2, 1, 17, 33, 5, 4, 1, 2)]   // spatial lanes: rows of 34 (16 + 16 + 2), 16 taps (5 + 5 + 5 + 1), 2 + 2 + 1 channels
    [InlineData(3, 3, 5, 5, 16, 2, 1, 0)]    // channel lanes: 16 positions, 12 taps (8, then a block whose second pass of 4 runs alone)
    [InlineData(2, 6, 4, 5, 16, 1, 1, 1)]    // channel lanes: 42 positions (5 × 8 + 2), 6 taps (a short second pass of 2)
    [InlineData(2, 3, 7, 22, 16, 3, 1, 0)]   // channel lanes, rows of 20: two runs of ten positions per row, five rows
    [InlineData(2, 2, 9, 9, 32, 5, 1, 1)]    // channel lanes, 5×5 over 2 channels, padded: weight gradient in 5 pairs of kernel rows
    [InlineData(2, 2, 16, 20, 7, 5, 1, 1)]   // spatial lanes, 5×5: weight gradient a kernel row at a time, 3 + 3 + 1 channels, rows of 18
    [InlineData(2, 1, 16, 16, 5, 5, 1, 2)]   // spatial lanes, 5×5: rows of 16, one whole block and no partial one
    [InlineData(2, 2, 10, 14, 4, 5, 1, 1)]   // spatial lanes, 5×5: rows of 12, only a partial block
    [InlineData(1, 1, 12, 36, 6, 5, 1, 0)]   // spatial lanes, 5×5: rows of 32, two whole blocks
    [InlineData(2, 3, 9, 13, 5, 3, 2, 1)]    // stride 2: im2col products over 5 rows (4 + 1), strided col2im
    [InlineData(3, 3, 13, 9, 5, 3, 1, 1)]    // stride 1, rows of 9 < 12: im2col products, col2im over 8 + 1 lanes
    [InlineData(2, 5, 3, 5, 6, 1, 1, 0)]     // pointwise, 15 positions: an 8-lane product tail, then scalar columns
    // The row gradient (5×5, stride 1, no padding, dx rows of ≤ 16): the widest rows, odd channel counts (a lone last
    // channel), a single output, tall planes with kernel rows cut at both ends, one image per chunk at 2 threads:
    [InlineData(3, 3, 7, 16, 4, 5, 1, 0)]    // dx rows of 16, dy 3×12, channels 2 + 1
    [InlineData(2, 1, 5, 5, 3, 5, 1, 0)]     // one output position, one input channel
    [InlineData(2, 5, 20, 9, 7, 5, 1, 0)]    // dy 16×5, channels 2 + 2 + 1
    [InlineData(1, 2, 6, 17, 2, 5, 1, 0)]    // dx rows of 17: im2col, not the row gradient
    public void MatchesReferenceOnNamedShapes(int n, int c, int h, int w, int o, int k, int s, int p)
    {
        foreach (int threads in (int[])[1, 2])
            KernelSerialCollection.WithThreads(threads, () =>
                CheckAgainstReference(new Conv2dGeometry(n, c, h, w, o, k, s, p), new Rng(5), withBias: true));
    }

    [Theory]
    [InlineData(32, 6, 12, 12, 16, 5, 0)]  // LeNet conv2: channel lanes
    [InlineData(32, 1, 28, 28, 6, 5, 2)]   // d2l LeNet conv1: spatial lanes
    public void RepeatedRunsAreBitIdentical(int n, int c, int h, int w, int o, int k, int p) => KernelSerialCollection.WithThreads(2, () =>
    {
        var g = new Conv2dGeometry(n, c, h, w, o, k, 1, p);
        var rng = new Rng(9);
        float[] x = Approx.Random(rng, g.InputSize), wt = Approx.Random(rng, g.WeightSize), b = Approx.Random(rng, o);
        float[] dy = Approx.Random(rng, g.OutputSize);
        (float[] Y, float[] Dx, float[] Dw, float[] Db) Run()
        {
            var ws = new float[Conv2dKernel.WorkspaceSize(g)];
            float[] y = new float[g.OutputSize], dx = new float[g.InputSize], dw = new float[g.WeightSize], db = new float[o];
            Conv2dKernel.Forward(g, x, wt, b, y, ws);
            Conv2dKernel.BackwardData(g, dy, wt, dx, ws);
            Conv2dKernel.BackwardWeights(g, x, dy, dw, db, ws);
            return (y, dx, dw, db);
        }
        var first = Run();
        for (int i = 0; i < 5; i++)
        {
            var again = Run();
            Assert.Equal(first.Y, again.Y);
            Assert.Equal(first.Dx, again.Dx);
            Assert.Equal(first.Dw, again.Dw);
            Assert.Equal(first.Db, again.Db);
        }
    });

    [Fact]
    public void RejectsWrongSizes()
    {
        var g = new Conv2dGeometry(2, 3, 6, 6, 4, 3);
        float[] x = new float[g.InputSize], w = new float[g.WeightSize], y = new float[g.OutputSize];
        var ws = new float[Conv2dKernel.WorkspaceSize(g)];
        Assert.Contains("input", Assert.Throws<ArgumentException>(() =>
            Conv2dKernel.Forward(g, x.AsSpan(1), w, default, y, ws)).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() =>
            Conv2dKernel.Forward(g, x, w.AsSpan(1), default, y, ws)).Message);
        Assert.Contains("bias", Assert.Throws<ArgumentException>(() =>
            Conv2dKernel.Forward(g, x, w, new float[3], y, ws)).Message);
        Assert.Contains("workspace", Assert.Throws<ArgumentException>(() =>
            Conv2dKernel.Forward(g, x, w, default, y, ws.AsSpan(1))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dGeometry(1, 1, 4, 4, 1, 3, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dGeometry(1, 1, 4, 4, 1, 3, padding: -1));
    }

    [Fact]
    public void BackwardBiasMatchesReference()
    {
        var g = new Conv2dGeometry(3, 2, 5, 5, 4, 3, 2, 1);
        var rng = new Rng(3);
        float[] dy = Approx.Random(rng, g.OutputSize), start = Approx.Random(rng, 4);
        float[] fast = (float[])start.Clone(), reference = (float[])start.Clone(), dw = new float[g.WeightSize];
        Conv2dKernel.BackwardBias(g, dy, fast);
        Conv2dReference.BackwardWeights(g, new float[g.InputSize], dy, dw, reference);
        Approx.Equal(reference, fast, "db");
    }

    private static void CheckAgainstReference(Conv2dGeometry g, Rng rng, bool withBias)
    {
        float[] x = Approx.Random(rng, g.InputSize), w = Approx.Random(rng, g.WeightSize);
        float[] b = withBias ? Approx.Random(rng, g.OutChannels) : [];
        float[] dy = Approx.Random(rng, g.OutputSize);
        // Workspace and outputs start as garbage: the kernels must not read what they have not written.
        float[] ws = Enumerable.Repeat(float.NaN, Conv2dKernel.WorkspaceSize(g)).ToArray();
        float[] y = Enumerable.Repeat(float.NaN, g.OutputSize).ToArray(), yRef = new float[g.OutputSize];
        Conv2dKernel.Forward(g, x, w, b, y, ws);
        Conv2dReference.Forward(g, x, w, b, yRef);
        Approx.Equal(yRef, y, $"y of {g}");

        float[] dx = Enumerable.Repeat(float.NaN, g.InputSize).ToArray(), dxRef = new float[g.InputSize];
        Conv2dKernel.BackwardData(g, dy, w, dx, ws);
        Conv2dReference.BackwardData(g, dy, w, dxRef);
        Approx.Equal(dxRef, dx, $"dx of {g}");

        // Weight gradients accumulate: start both from the same non-zero values.
        float[] dw = Approx.Random(rng, g.WeightSize), dwRef = (float[])dw.Clone();
        float[] db = withBias ? Approx.Random(rng, g.OutChannels) : [], dbRef = (float[])db.Clone();
        Conv2dKernel.BackwardWeights(g, x, dy, dw, db, ws);
        Conv2dReference.BackwardWeights(g, x, dy, dwRef, dbRef);
        // A weight's gradient sums N·H_out·W_out products (1,600 at [2, 2, 20, 40]): compare within the
        // rounding of the sum of their magnitudes, which the reference gives from |x| and |dy|.
        float[] dwAbs = dw.Select(MathF.Abs).ToArray(), dbAbs = db.Select(MathF.Abs).ToArray();
        Conv2dReference.BackwardWeights(g, x.Select(MathF.Abs).ToArray(), dy.Select(MathF.Abs).ToArray(), dwAbs, dbAbs);
        Approx.EqualSums(dwRef, dw, dwAbs, $"dW of {g}");
        Approx.EqualSums(dbRef, db, dbAbs, $"db of {g}");
    }
}

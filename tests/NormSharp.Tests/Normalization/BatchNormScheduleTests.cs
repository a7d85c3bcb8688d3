using NormSharp.Kernels;
using NormSharp.Tests.Kernels;
using static NormSharp.Tests.Normalization.BatchNormKernelTests;

namespace NormSharp.Tests.Normalization;

/// <summary>The fused [N, C] kernels' two schedules, column strips and parties owning runs of rows
/// (BatchNorm.FusedRowParties.cs), give the same bits: statistics, coefficients, y (with and without a fused
/// activation), the backward sums and dx, at 2 and 3 threads (the default is the row parties); so do the planar
/// parties' applies in either order.</summary>
[Collection(KernelSerialCollection.Name)]
public class BatchNormScheduleTests
{
    [Theory]
    [InlineData(500, 500, 2)]   // the seed MLP's BN: 2 blocks of 250 rows (float runs of 32 … 32, 26), a masked last vector per row
    [InlineData(300, 301, 2)]
    [InlineData(100, 336, 3)]   // 2 blocks: 3 parties would need 3, so the strips run either way
    [InlineData(520, 1024, 2)]  // rows of 4 KB
    [InlineData(1000, 260, 2)]
    [InlineData(385, 200, 2)]   // blocks of 193 rows, the last of 192
    [InlineData(13, 2600, 2)]   // blocks of 7 rows, the last of 6
    [InlineData(3, 11000, 2)]   // blocks of 2 rows, the last of one
    public void RowPartiesGiveTheBitsOfTheStrips(int n, int c, int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        var x = RandomArray(n * c, 61, offset: 2f, scale: 3f);
        var dy = RandomArray(n * c, 62);
        var gamma = RandomArray(c, 63, offset: 1f);
        var beta = RandomArray(c, 64);
        foreach (var activation in new[] { FusedActivation.None, FusedActivation.Relu, FusedActivation.Sigmoid })
        {
            var strips = Step(x, dy, n, c, gamma, beta, activation, rowParties: false);
            var rows = Step(x, dy, n, c, gamma, beta, activation, rowParties: true);
            for (int i = 0; i < strips.Length; i++) Assert.Equal(strips[i], rows[i]);
        }
    });

    /// <summary>Forward then backward with one schedule forced; every output, as doubles, in one list per array.</summary>
    private static double[][] Step(float[] x, float[] dy, int n, int c, float[] gamma, float[] beta, FusedActivation activation, bool rowParties)
    {
        BatchNorm.RowPartiesOverride = rowParties;
        try
        {
            var (mean, m2, invstd, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
            BatchNorm.ForwardTraining(x, n, c, 1, gamma, beta, 1e-5, mean, m2, invstd, alpha, shift, y, activation);
            var meanF = Array.ConvertAll(mean, v => (float)v);
            var invstdF = Array.ConvertAll(invstd, v => (float)v);
            var (sumDy, sumDyXmu, b, k, dx) = (new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
            BatchNorm.BackwardTraining(x, dy, n, c, 1, meanF, invstdF, alpha, sumDy, sumDyXmu, b, k, dx);
            var (tg, tp) = (new double[c], new double[c]);
            BatchNorm.TrainingBackwardReduce(x, dy, n, c, 1, meanF, tg, tp); // the hook path's sums: the fused ones, bit for bit
            Assert.Equal(sumDy, tg);
            Assert.Equal(sumDyXmu, tp);
            return [mean, m2, invstd, D(alpha), D(shift), D(y), sumDy, sumDyXmu, D(b), D(k), D(dx)];
        }
        finally
        {
            BatchNorm.RowPartiesOverride = null;
        }
    }

    private static double[] D(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>The planar parties' apply in either order (BatchNorm.FusedPlaneParties.cs) gives the same bits.</summary>
    [Theory]
    [InlineData(64, 6, 576, 2)]
    [InlineData(33, 16, 100, 2)]
    [InlineData(20, 3, 784, 3)]
    public void PlanarApplyInReverseGivesTheSameBits(int n, int c, int s, int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        var x = RandomArray(n * c * s, 71, offset: 1f, scale: 2f);
        var dy = RandomArray(n * c * s, 72);
        var gamma = RandomArray(c, 73, offset: 1f);
        var beta = RandomArray(c, 74);
        double[][] Run(bool reverse)
        {
            BatchNorm.ReverseApplyOverride = reverse;
            try
            {
                // NaN-filled outputs: a plane the apply skipped would stay NaN.
                var (mean, m2, invstd, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], NaNs(x.Length));
                BatchNorm.ForwardTraining(x, n, c, s, gamma, beta, 1e-5, mean, m2, invstd, alpha, shift, y, FusedActivation.Sigmoid);
                var (sumDy, sumDyXmu, b, k, dx) = (new double[c], new double[c], new float[c], new float[c], NaNs(x.Length));
                BatchNorm.BackwardTraining(x, dy, n, c, s, Array.ConvertAll(mean, v => (float)v), Array.ConvertAll(invstd, v => (float)v),
                    alpha, sumDy, sumDyXmu, b, k, dx);
                return [mean, m2, D(y), sumDy, sumDyXmu, D(dx)];
            }
            finally
            {
                BatchNorm.ReverseApplyOverride = null;
            }
        }
        var forward = Run(false);
        var reversed = Run(true);
        for (int i = 0; i < forward.Length; i++) Assert.Equal(forward[i], reversed[i]);
        Assert.DoesNotContain(reversed[2], double.IsNaN); // every plane of y and of dx written
        Assert.DoesNotContain(reversed[5], double.IsNaN);
    });

    private static float[] NaNs(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    [Theory]
    [InlineData("2048K", 2L * 1024 * 1024)]
    [InlineData("32M", 32L * 1024 * 1024)]
    [InlineData("512k", 512L * 1024)]
    [InlineData("65536", 65536L)]
    public void CacheSizesParseSysfs(string text, long bytes) => Assert.Equal(bytes, CacheSizes.ParseSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-4K")]
    [InlineData("2.5M")]
    [InlineData("0K")]
    public void CacheSizesRejectOtherText(string text) => Assert.Null(CacheSizes.ParseSize(text));
}

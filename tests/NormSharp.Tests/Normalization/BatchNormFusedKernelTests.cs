using NormSharp.Kernels;
using NormSharp.Tests.Kernels;
using static NormSharp.Tests.Normalization.BatchNormKernelTests;

namespace NormSharp.Tests.Normalization;

/// <summary>The fused training kernels (<see cref="BatchNorm.ForwardTraining"/>, <see cref="BatchNorm.BackwardTraining"/>)
/// against the slow path they replace (Statistics, fold, Apply; BackwardReduce, coefficients, BackwardApply) and
/// against <see cref="BatchNormReference"/>. The fused kernels sum in float over short runs, so they agree with
/// the double kernels to float precision, not bit for bit; their reduction halves alone
/// (<see cref="BatchNorm.TrainingStatistics"/>, <see cref="BatchNorm.TrainingBackwardReduce"/>) agree bit for bit.</summary>
[Collection(KernelSerialCollection.Name)]
public class BatchNormFusedKernelTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 2, 1, 1 }, { 3, 5, 1 }, { 7, 8, 1 }, { 33, 63, 1 }, { 4, 130, 1 },
        { 300, 301, 1 },   // several row blocks and 64-column strips, a 45-column tail strip
        { 40, 1000, 1 },   // 16 strips
        { 100, 500, 1 },   // the MLP's widest layer: a 52-column tail strip (three full vectors and a masked one)
        { 100, 336, 1 },   // a 16-column tail strip (one full vector, three empty)
        { 300, 512, 1 },   // rows of 2 KB: the strips' sums, then the apply row by row
        { 70, 1536, 1 },   // rows of 6 KB: 24 strips, 12 per chunk at 2 threads, applied row by row
        { 50, 512, 1 },    // below the grain: one chunk of all 512 columns
        { 2, 31, 1 },      // one masked 32-column AVX2 strip (its last vector part-masked)
        { 200, 200, 1 },   // an 8-column tail strip: one full vector, the rest masked off
        { 130, 260, 1 },   // a 4-column tail strip: one part-masked vector
        { 150, 225, 1 },   // a 33-column tail strip: a full AVX2 strip and one column
        { 8, 4105, 1 },    // eight rows over the grain: 65 strips, a 9-column tail (one full vector and one column)
        { 2, 3, 5 }, { 3, 2, 7 }, { 5, 3, 9 }, { 4, 6, 576 }, { 2, 5, 23 }, { 3, 4, 784 },
        { 70, 3, 1000 },   // planes split over two blocks
        { 9, 5, 3000 },    // long planes: several float runs per plane
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesTheSlowPathAndTheReference(int n, int c, int s)
    {
        const double eps = 1e-5;
        var x = RandomArray(n * c * s, 31, offset: 3f, scale: 2f);
        var gamma = RandomArray(c, 32, offset: 1f);
        var beta = RandomArray(c, 33);
        var (mean, m2, invstd, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
        BatchNorm.ForwardTraining(x, n, c, s, gamma, beta, eps, mean, m2, invstd, alpha, shift, y);
        var (tMean, tM2) = (new double[c], new double[c]);
        BatchNorm.TrainingStatistics(x, n, c, s, tMean, tM2); // the hook path's statistics: bit for bit the fused ones
        Assert.Equal(mean, tMean);
        Assert.Equal(m2, tM2);

        // Slow side: the double Statistics, the layer's fold, Apply.
        var (sMean, sM2, sAlpha, sShift, sy) = (new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
        BatchNorm.Statistics(x, n, c, s, sMean, sM2);
        double m = (double)n * s;
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(sMean[i], mean[i], 1e-6 * Math.Max(1, Math.Abs(sMean[i])));
            Assert.True(Math.Abs(sM2[i] - m2[i]) <= 1e-5 * sM2[i] + 1e-9, $"M2[{i}]: {m2[i]} vs {sM2[i]}");
            double inv = 1 / Math.Sqrt(sM2[i] / m + eps), a = gamma[i] * inv;
            Assert.Equal(inv, invstd[i], 1e-5 * inv);
            sAlpha[i] = (float)a;
            sShift[i] = (float)(beta[i] - sMean[i] * a);
        }
        AssertClose(sAlpha, alpha, 1e-5, 1e-6, "alpha");
        BatchNorm.Apply(x, n, c, s, sAlpha, sShift, sy);
        AssertClose(sy, y, 1e-5, 1e-5, "y vs slow");

        var (expected, rMean, rVariance) = (new float[x.Length], new double[c], new double[c]);
        BatchNormReference.ForwardTraining(x, n, c, s, gamma, beta, eps, expected, rMean, rVariance);
        AssertClose(expected, y, 1e-5, 1e-5, "y vs reference");

        BatchNorm.ForwardTraining(x, n, c, s, gamma, beta, eps, mean, m2, invstd, alpha, shift, x); // in place
        AssertClose(y, x, 0, 0, "in place");
    }

    [Fact]
    public void ForwardWithoutAffineIsTheNormalisedInput()
    {
        const int n = 64, c = 200;
        var x = RandomArray(n * c, 34, offset: -2f);
        var (mean, m2, invstd, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
        BatchNorm.ForwardTraining(x, n, c, 1, default, default, 1e-5, mean, m2, invstd, alpha, shift, y);
        var (expected, rMean, rVariance) = (new float[x.Length], new double[c], new double[c]);
        float[] ones = [.. Enumerable.Repeat(1f, c)], zeros = new float[c];
        BatchNormReference.ForwardTraining(x, n, c, 1, ones, zeros, 1e-5, expected, rMean, rVariance);
        AssertClose(expected, y, 1e-5, 1e-5, "y");
    }

    [Theory]
    [InlineData(512, 300, 1)]
    [InlineData(64, 5, 400)]
    public void StatisticsStayAccurateFarFromZero(int n, int c, int s)
    {
        // Values 1e4 ± 1e-2: the shift by each block's first value keeps float sums of (x − K) exact enough.
        var x = RandomArray(n * c * s, 35, scale: 1e-2f);
        for (int i = 0; i < x.Length; i++) x[i] += 1e4f;
        var (mean, m2, invstd, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
        BatchNorm.ForwardTraining(x, n, c, s, default, default, 1e-9, mean, m2, invstd, alpha, shift, y);
        var (rMean, rM2) = (new double[c], new double[c]);
        BatchNormReference.Statistics(x, n, c, s, rMean, rM2);
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(rMean[i], mean[i], 1e-9 * rMean[i]);
            Assert.Equal(rM2[i], m2[i], 1e-5 * rM2[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardMatchesTheSlowPathAndTheReference(int n, int c, int s)
    {
        const double eps = 1e-5;
        var x = RandomArray(n * c * s, 36, offset: 1f, scale: 2f);
        var dy = RandomArray(n * c * s, 37);
        var gamma = RandomArray(c, 38, offset: 1f);
        var (mean, m2, invstd, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
        BatchNorm.ForwardTraining(x, n, c, s, gamma, default, eps, mean, m2, invstd, alpha, shift, y);
        var meanF = Array.ConvertAll(mean, v => (float)v);
        var invstdF = Array.ConvertAll(invstd, v => (float)v);
        var (sumDy, sumDyXmu, b, k, dx) = (new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
        BatchNorm.BackwardTraining(x, dy, n, c, s, meanF, invstdF, alpha, sumDy, sumDyXmu, b, k, dx);
        var (tg, tp) = (new double[c], new double[c]);
        BatchNorm.TrainingBackwardReduce(x, dy, n, c, s, meanF, tg, tp);
        Assert.Equal(sumDy, tg);
        Assert.Equal(sumDyXmu, tp);

        // Slow side: BackwardReduce, the layer's coefficients, BackwardApply.
        var (sg, sp, sb, sk, sdx) = (new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
        BatchNorm.BackwardReduce(x, dy, n, c, s, meanF, sg, sp);
        double m = (double)n * s;
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(sg[i], sumDy[i], 1e-5 * Math.Max(1, Math.Abs(sg[i])));
            Assert.Equal(sp[i], sumDyXmu[i], 1e-5 * Math.Max(1, Math.Abs(sp[i])));
            double inv = invstdF[i], a = alpha[i], kk = sp[i] * inv * inv / m;
            sb[i] = (float)(-kk * a);
            sk[i] = (float)((-sg[i] / m + meanF[i] * kk) * a);
        }
        BatchNorm.BackwardApply(x, dy, n, c, s, alpha, sb, sk, sdx);
        AssertClose(sdx, dx, 1e-4, 1e-5, "dx vs slow");

        var (expected, dGamma, dBeta) = (new float[x.Length], new double[c], new double[c]);
        BatchNormReference.BackwardTraining(x, dy, n, c, s, gamma, eps, expected, dGamma, dBeta);
        AssertClose(expected, dx, 1e-4, 1e-5, "dx vs reference");
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(dGamma[i], sumDyXmu[i] * invstd[i], 1e-4 * Math.Max(1, Math.Abs(dGamma[i])));
            Assert.Equal(dBeta[i], sumDy[i], 1e-5 * Math.Max(1, Math.Abs(dBeta[i])));
        }

        BatchNorm.BackwardTraining(x, dy, n, c, s, meanF, invstdF, alpha, sumDy, sumDyXmu, b, k, dy); // dx over dy
        AssertClose(dx, dy, 0, 0, "in place");
    }

    /// <summary>One row over the grain (516 strips, a 41-column tail): the variance is 0, so α = γ/√ε and y, dx come from
    /// x·α and −μ·α cancelling in float (the reference's (x − μ)·invstd is exactly 0, so it is no yardstick here); the
    /// fused kernels must give the bits of their own coefficients applied by <see cref="BatchNorm.Apply"/> and
    /// <see cref="BatchNorm.BackwardApply"/>, the mean must be x and M2 0.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void OneRowGivesTheBitsOfItsOwnCoefficientsApplied(int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        const int c = 33001;
        var x = RandomArray(c, 51, offset: 1f, scale: 2f);
        var dy = RandomArray(c, 52);
        var gamma = RandomArray(c, 53, offset: 1f);
        var beta = RandomArray(c, 54);
        var (mean, m2, invstd, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], new float[c]);
        BatchNorm.ForwardTraining(x, 1, c, 1, gamma, beta, 1e-5, mean, m2, invstd, alpha, shift, y);
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(x[i], mean[i]);
            Assert.Equal(0, m2[i]);
        }
        var applied = new float[c];
        BatchNorm.Apply(x, 1, c, 1, alpha, shift, applied);
        Assert.Equal(applied, y);

        var meanF = Array.ConvertAll(mean, v => (float)v);
        var invstdF = Array.ConvertAll(invstd, v => (float)v);
        var (sumDy, sumDyXmu, b, k, dx) = (new double[c], new double[c], new float[c], new float[c], new float[c]);
        BatchNorm.BackwardTraining(x, dy, 1, c, 1, meanF, invstdF, alpha, sumDy, sumDyXmu, b, k, dx);
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(dy[i], sumDy[i]);
            Assert.Equal(0, sumDyXmu[i]);
        }
        var sdx = new float[c];
        BatchNorm.BackwardApply(x, dy, 1, c, 1, alpha, b, k, sdx);
        Assert.Equal(sdx, dx);
    });

    [Fact]
    public void EmptyBatchGivesNaNStatistics()
    {
        var (mean, m2, invstd, alpha, shift) = (new double[3], new double[3], new double[3], new float[3], new float[3]);
        BatchNorm.ForwardTraining([], 0, 3, 1, default, default, 1e-5, mean, m2, invstd, alpha, shift, []);
        Assert.All(mean, v => Assert.True(double.IsNaN(v)));
        Assert.All(m2, v => Assert.Equal(0, v));
    }

    [Fact]
    public void RejectsMismatchedSizes()
    {
        var x = new float[12];
        var (mean, m2, invstd, alpha, shift) = (new double[3], new double[3], new double[3], new float[3], new float[3]);
        var ex = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTraining(x, 4, 3, 1, new float[2], default, 1e-5, mean, m2, invstd, alpha, shift, new float[12]));
        Assert.Contains("gamma", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => BatchNorm.BackwardTraining(x, new float[11], 4, 3, 1, alpha, alpha, alpha, mean, m2, alpha, alpha, new float[12]));
        Assert.Contains("[4, 3, 1]", ex.Message);
    }
}

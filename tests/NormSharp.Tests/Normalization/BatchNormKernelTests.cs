using NormSharp.Kernels;

namespace NormSharp.Tests.Normalization;

/// <summary>The fast BN kernels against <see cref="BatchNormReference"/> on random shapes, odd sizes
/// included (C not a multiple of any vector width, planes shorter than a vector, several blocks).</summary>
public class BatchNormKernelTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 2, 1, 1 }, { 3, 5, 1 }, { 7, 8, 1 }, { 5, 17, 1 }, { 33, 63, 1 }, { 4, 130, 1 },
        { 300, 301, 1 },   // [N, C] with several row blocks and column chunks
        { 2, 3, 1 + 4 }, { 3, 2, 7 }, { 5, 3, 9 }, { 4, 6, 576 }, { 2, 5, 23 },
        { 70, 3, 1000 },   // planes split over two blocks
        { 0, 4, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void StatisticsMatchTheReference(int n, int c, int s)
    {
        var x = RandomArray(n * c * s, 11, offset: 3f);
        var (mean, m2, rMean, rM2) = (new double[c], new double[c], new double[c], new double[c]);
        BatchNorm.Statistics(x, n, c, s, mean, m2);
        if (n == 0)
        {
            Assert.All(mean, v => Assert.True(double.IsNaN(v)));
            return;
        }
        BatchNormReference.Statistics(x, n, c, s, rMean, rM2);
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(rMean[i], mean[i], 1e-12 * Math.Max(1, Math.Abs(rMean[i])));
            Assert.True(Math.Abs(rM2[i] - m2[i]) <= 1e-10 * Math.Max(1, rM2[i]), $"M2[{i}]: {m2[i]} vs {rM2[i]}");
        }
    }

    [Fact]
    public void StatisticsStayAccurateFarFromZero()
    {
        // Values 1e4 ± 1e-2: E[x²] − E[x]² in float would lose every digit of the variance.
        const int n = 512, c = 37;
        var x = RandomArray(n * c, 3, offset: 0f, scale: 1e-2f);
        for (int i = 0; i < x.Length; i++) x[i] += 1e4f;
        var (mean, m2, rMean, rM2) = (new double[c], new double[c], new double[c], new double[c]);
        BatchNorm.Statistics(x, n, c, 1, mean, m2);
        BatchNormReference.Statistics(x, n, c, 1, rMean, rM2);
        for (int i = 0; i < c; i++) Assert.Equal(rM2[i], m2[i], 1e-9 * rM2[i]);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ApplyMatchesTheReference(int n, int c, int s)
    {
        var x = RandomArray(n * c * s, 5);
        var alpha = RandomArray(c, 6);
        var beta = RandomArray(c, 7);
        var (y, expected) = (new float[x.Length], new float[x.Length]);
        BatchNorm.Apply(x, n, c, s, alpha, beta, y);
        BatchNormReference.Apply(x, n, c, s, alpha, beta, expected);
        AssertClose(expected, y, 1e-6, 1e-6);
        BatchNorm.Apply(x, n, c, s, alpha, beta, x); // in place
        AssertClose(expected, x, 1e-6, 1e-6);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardMatchesTheReference(int n, int c, int s)
    {
        var x = RandomArray(n * c * s, 8);
        var dy = RandomArray(n * c * s, 9);
        var mean = RandomArray(c, 10);
        var (g, p, rg, rp) = (new double[c], new double[c], new double[c], new double[c]);
        BatchNorm.BackwardReduce(x, dy, n, c, s, mean, g, p);
        BatchNormReference.BackwardReduce(x, dy, n, c, s, mean, rg, rp);
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(rg[i], g[i], 1e-9 * Math.Max(1, Math.Abs(rg[i])));
            Assert.Equal(rp[i], p[i], 1e-9 * Math.Max(1, Math.Abs(rp[i])));
        }
        var (a, b, k) = (RandomArray(c, 12), RandomArray(c, 13), RandomArray(c, 14));
        var (dx, expected) = (new float[x.Length], new float[x.Length]);
        BatchNorm.BackwardApply(x, dy, n, c, s, a, b, k, dx);
        BatchNormReference.BackwardApply(x, dy, n, c, s, a, b, k, expected);
        AssertClose(expected, dx, 1e-5, 1e-6);
    }

    [Fact]
    public void FusedBackwardEqualsThePapersChainRule()
    {
        // Fused vs slow (candle's pattern): Statistics + BackwardReduce + folded coefficients against
        // BatchNormReference.BackwardTraining, which applies section 3's chain rule term by term.
        const int n = 6, c = 5, s = 7;
        double eps = 1e-5;
        var x = RandomArray(n * c * s, 20, offset: 1f, scale: 2f);
        var dy = RandomArray(n * c * s, 21);
        var gamma = RandomArray(c, 22, offset: 1f);
        var (mean, m2, sumDy, sumDyXmu) = (new double[c], new double[c], new double[c], new double[c]);
        BatchNorm.Statistics(x, n, c, s, mean, m2);
        var meanF = Array.ConvertAll(mean, v => (float)v);
        BatchNorm.BackwardReduce(x, dy, n, c, s, meanF, sumDy, sumDyXmu);
        double m = n * s;
        var (a, b, k) = (new float[c], new float[c], new float[c]);
        for (int i = 0; i < c; i++)
        {
            double invstd = 1 / Math.Sqrt(m2[i] / m + eps), alpha = gamma[i] * invstd, kk = sumDyXmu[i] * invstd * invstd / m;
            a[i] = (float)alpha;
            b[i] = (float)(-kk * alpha);
            k[i] = (float)((-sumDy[i] / m + mean[i] * kk) * alpha);
        }
        var dx = new float[x.Length];
        BatchNorm.BackwardApply(x, dy, n, c, s, a, b, k, dx);
        var (expected, dGamma, dBeta) = (new float[x.Length], new double[c], new double[c]);
        BatchNormReference.BackwardTraining(x, dy, n, c, s, gamma, eps, expected, dGamma, dBeta);
        AssertClose(expected, dx, 1e-4, 1e-5);
        for (int i = 0; i < c; i++)
        {
            double invstd = 1 / Math.Sqrt(m2[i] / m + eps);
            Assert.Equal(dGamma[i], sumDyXmu[i] * invstd, 1e-5 * Math.Max(1, Math.Abs(dGamma[i]))); // the kernel centres on the float mean
            Assert.Equal(dBeta[i], sumDy[i], 1e-9 * Math.Max(1, Math.Abs(dBeta[i])));
        }
    }

    /// <summary>The planar loops load a block ahead of their stores (BatchNorm.Apply.cs): planes long enough for that path,
    /// with every kind of tail after it, still give one fused multiply-add per value, written in place or not.</summary>
    [Theory]
    [InlineData(128)]
    [InlineData(130)]
    [InlineData(191)]
    [InlineData(192)]
    [InlineData(576)]
    [InlineData(784)]
    public void PlanarAppliesAreOneFusedMultiplyAddPerValueInPlaceOrNot(int spatial)
    {
        const int n = 3, c = 2;
        var x = RandomArray(n * c * spatial, 31);
        var dy = RandomArray(n * c * spatial, 32);
        var (a, b, k) = (RandomArray(c, 33), RandomArray(c, 34), RandomArray(c, 35));
        var y = new float[x.Length];
        BatchNorm.Apply(x, n, c, spatial, a, k, y);
        var inPlace = (float[])x.Clone();
        BatchNorm.Apply(inPlace, n, c, spatial, a, k, inPlace);
        var dx = new float[x.Length];
        BatchNorm.BackwardApply(x, dy, n, c, spatial, a, b, k, dx);
        var dxInPlace = (float[])dy.Clone();
        BatchNorm.BackwardApply(x, dxInPlace, n, c, spatial, a, b, k, dxInPlace);
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / spatial % c;
            float expectedY = MathF.FusedMultiplyAdd(x[i], a[ch], k[ch]);
            float expectedDx = MathF.FusedMultiplyAdd(x[i], b[ch], MathF.FusedMultiplyAdd(dy[i], a[ch], k[ch]));
            Assert.True(BitConverter.SingleToInt32Bits(expectedY) == BitConverter.SingleToInt32Bits(y[i]), $"y[{i}]: {y[i]} vs {expectedY}");
            Assert.True(BitConverter.SingleToInt32Bits(expectedY) == BitConverter.SingleToInt32Bits(inPlace[i]), $"in-place y[{i}]");
            Assert.True(BitConverter.SingleToInt32Bits(expectedDx) == BitConverter.SingleToInt32Bits(dx[i]), $"dx[{i}]: {dx[i]} vs {expectedDx}");
            Assert.True(BitConverter.SingleToInt32Bits(expectedDx) == BitConverter.SingleToInt32Bits(dxInPlace[i]), $"in-place dx[{i}]");
        }
    }

    [Fact]
    public void RejectsMismatchedSizes()
    {
        var x = new float[12];
        var ex = Assert.Throws<ArgumentException>(() => BatchNorm.Statistics(x, 5, 3, 1, new double[3], new double[3]));
        Assert.Contains("[5, 3, 1]", ex.Message);
        Assert.Throws<ArgumentException>(() => BatchNorm.Apply(x, 4, 3, 1, new float[2], new float[3], new float[12]));
    }

    internal static float[] RandomArray(int length, ulong seed, float offset = 0f, float scale = 1f)
    {
        var rng = new Rng(seed);
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = offset + scale * rng.NextUniform(-1f, 1f);
        return a;
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (!(diff <= rtol * Math.Abs(expected[i]) + atol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {diff:E2})");
        }
    }
}

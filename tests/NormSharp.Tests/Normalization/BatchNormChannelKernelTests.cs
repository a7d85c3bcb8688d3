using NormSharp.Kernels;

namespace NormSharp.Tests.Normalization;

/// <summary>The vectorised per-channel bookkeeping of BN (running statistics, float copies of the batch statistics, dγ
/// and dβ) against the scalar loops of <see cref="BatchNormReference"/>: bit for bit, for channel counts that leave
/// every possible tail after the four-lane steps.</summary>
public class BatchNormChannelKernelTests
{
    public static TheoryData<int> Channels() => new() { 0, 1, 3, 4, 5, 7, 8, 13, 64, 500, 501 };

    [Theory]
    [MemberData(nameof(Channels))]
    public void RunningStatisticsUpdateMatchesTheReferenceBitForBit(int c)
    {
        var rng = new Rng(3);
        var (mean, m2) = (Doubles(rng, c, -3, 3), Doubles(rng, c, 0, 900));
        var (rm, rv) = (Floats(rng, c, -1, 1), Floats(rng, c, 0, 2));
        var (em, ev) = ((float[])rm.Clone(), (float[])rv.Clone());
        foreach (double factor in new[] { 0.1, 1.0 / 7, 1.0 })
        {
            BatchNorm.UpdateRunningStatistics(rm, rv, mean, m2, 500, factor);
            BatchNormReference.UpdateRunningStatistics(em, ev, mean, m2, 500, factor);
            Assert.Equal(Bits(em), Bits(rm));
            Assert.Equal(Bits(ev), Bits(rv));
        }
    }

    [Fact]
    public void RunningStatisticsUpdateRejectsACountWithoutAnUnbiasedVariance()
    {
        float[] rm = new float[4], rv = new float[4];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNorm.UpdateRunningStatistics(rm, rv, new double[4], new double[4], 1, 0.1));
        Assert.Equal("count", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void NarrowRoundsEveryValueAsACast(int c)
    {
        var rng = new Rng(5);
        var source = Doubles(rng, c, -1e3, 1e3);
        if (c > 2) { source[0] = double.NaN; source[1] = 1e300; source[2] = 1.0 + 1e-9; }
        var narrowed = new float[c];
        BatchNorm.Narrow(source, narrowed);
        Assert.Equal(source.Select(v => BitConverter.SingleToInt32Bits((float)v)), Bits(narrowed));
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void AffineGradientsMatchTheReferenceBitForBit(int c)
    {
        var rng = new Rng(9);
        var (r, invstd, d) = (Floats(rng, c, 0.5f, 2), Floats(rng, c, 0.1f, 3), Floats(rng, c, -1, 1));
        var (sumDyXmu, sumDy) = (Doubles(rng, c, -50, 50), Doubles(rng, c, -50, 50));
        var (dg, db) = (Floats(rng, c, -1, 1), Floats(rng, c, -1, 1));
        var (eg, eb) = ((float[])dg.Clone(), (float[])db.Clone());
        BatchNorm.AccumulateAffineGradients(dg, db, r, invstd, d, sumDyXmu, sumDy);
        BatchNormReference.AccumulateAffineGradients(eg, eb, r, invstd, d, sumDyXmu, sumDy);
        Assert.Equal(Bits(eg), Bits(dg));
        Assert.Equal(Bits(eb), Bits(db));
        // A frozen γ (empty gradient) leaves dβ's accumulation as it is.
        BatchNorm.AccumulateAffineGradients(default, db, r, invstd, d, sumDyXmu, sumDy);
        BatchNormReference.AccumulateAffineGradients(default, eb, r, invstd, d, sumDyXmu, sumDy);
        Assert.Equal(Bits(eb), Bits(db));
    }

    [Fact]
    public void AffineGradientsRejectShortInputs()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            BatchNorm.AccumulateAffineGradients(new float[8], new float[8], new float[8], new float[7], new float[8], new double[8], new double[8]));
        Assert.Equal("invstd", e.ParamName);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static float[] Floats(Rng rng, int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => rng.NextUniform(lo, hi)).ToArray();

    private static double[] Doubles(Rng rng, int n, double lo, double hi) =>
        Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * (double)rng.NextUniform(0, 1) + 1e-9 * rng.NextUniform(-1, 1)).ToArray();
}

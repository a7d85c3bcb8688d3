using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>The per-channel bookkeeping around the training kernels: the running statistics' update, the float copies
/// of the batch statistics the backward reads, and the accumulation of dγ and dβ. Each is a few operations per
/// channel, but as scalar loops with float/double conversions they cost ~3 µs per pass over 500 channels, a tenth of
/// the fused kernel of a [500, 500] batch. Four channels per step in double, with the same correctly rounded
/// operations in the same order as the scalar loop (<see cref="BatchNormReference"/>), so the lanes never change a
/// bit of the result.</summary>
public static unsafe partial class BatchNorm
{
    /// <summary>running ← (1 − f)·running + f·batch, for the mean with <paramref name="mean"/> and for the variance with
    /// the unbiased batch variance M2/(m − 1), m = <paramref name="count"/> (PyTorch's update:
    /// <c>aten/src/ATen/native/Normalization.cpp</c>, <c>batch_norm_cpu_update_stats_template</c>; Ioffe and Szegedy
    /// 2015, Algorithm 2, step 10, for the unbiased variance).</summary>
    public static void UpdateRunningStatistics(Span<float> runningMean, Span<float> runningVar, ReadOnlySpan<double> mean,
        ReadOnlySpan<double> m2, long count, double factor)
    {
        int c = runningMean.Length;
        CheckChannels(runningVar.Length, c, nameof(runningVar));
        CheckChannels(mean.Length, c, nameof(mean));
        CheckChannels(m2.Length, c, nameof(m2));
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "the unbiased variance needs at least two values per channel");
        double keep = 1 - factor, unbiased = count - 1;
        fixed (float* rm = runningMean) fixed (float* rv = runningVar) fixed (double* mu = mean) fixed (double* q = m2)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<double> keepV = Vector256.Create(keep), factorV = Vector256.Create(factor), unbiasedV = Vector256.Create(unbiased);
                for (; i <= c - Vector256<double>.Count; i += Vector256<double>.Count)
                {
                    NarrowFour(keepV * WidenFour(rm + i) + factorV * Vector256.Load(mu + i)).Store(rm + i);
                    NarrowFour(keepV * WidenFour(rv + i) + factorV * (Vector256.Load(q + i) / unbiasedV)).Store(rv + i);
                }
            }
            for (; i < c; i++)
            {
                rm[i] = (float)(keep * rm[i] + factor * mu[i]);
                rv[i] = (float)(keep * rv[i] + factor * (q[i] / unbiased));
            }
        }
    }

    /// <summary>destination[i] = (float)source[i] (round to nearest), for the first destination.Length values.</summary>
    public static void Narrow(ReadOnlySpan<double> source, Span<float> destination)
    {
        int c = destination.Length;
        CheckChannels(source.Length, c, nameof(source));
        fixed (double* s = source) fixed (float* d = destination)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
                for (; i <= c - Vector256<double>.Count; i += Vector256<double>.Count) NarrowFour(Vector256.Load(s + i)).Store(d + i);
            for (; i < c; i++) d[i] = (float)s[i];
        }
    }

    /// <summary>dγ[c] += Σdy·(x̂·r + d) = r·invstd·Σ(x − μ)dy + d·Σdy and dβ[c] += Σdy, each term rounded to float before
    /// it is added (Ioffe and Szegedy 2015, section 3, ∂ℓ/∂γ and ∂ℓ/∂β; r and d are Batch Renorm's corrections, 1 and 0
    /// for plain BN). Either gradient may be empty (that parameter is frozen).</summary>
    public static void AccumulateAffineGradients(Span<float> dGamma, Span<float> dBeta, ReadOnlySpan<float> r, ReadOnlySpan<float> invstd,
        ReadOnlySpan<float> d, ReadOnlySpan<double> sumDyXmu, ReadOnlySpan<double> sumDy)
    {
        int c = Math.Max(dGamma.Length, dBeta.Length);
        if (!dGamma.IsEmpty)
        {
            CheckChannels(r.Length, c, nameof(r));
            CheckChannels(invstd.Length, c, nameof(invstd));
            CheckChannels(d.Length, c, nameof(d));
            CheckChannels(sumDyXmu.Length, c, nameof(sumDyXmu));
        }
        CheckChannels(sumDy.Length, c, nameof(sumDy));
        if (!dGamma.IsEmpty && !dBeta.IsEmpty && dGamma.Length != dBeta.Length)
            throw new ArgumentException($"dGamma holds {dGamma.Length} values, dBeta {dBeta.Length}", nameof(dBeta));
        fixed (float* dg = dGamma) fixed (float* db = dBeta) fixed (float* pr = r) fixed (float* ps = invstd) fixed (float* pd = d)
        fixed (double* sp = sumDyXmu) fixed (double* sg = sumDy)
        {
            if (!dGamma.IsEmpty) AccumulateGammaGradient(dg, pr, ps, pd, sp, sg, c);
            if (!dBeta.IsEmpty) AccumulateBetaGradient(db, sg, c);
        }
    }

    private static void AccumulateGammaGradient(float* dg, float* r, float* invstd, float* d, double* sumDyXmu, double* sumDy, int c)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= c - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var term = WidenFour(r + i) * WidenFour(invstd + i) * Vector256.Load(sumDyXmu + i) + WidenFour(d + i) * Vector256.Load(sumDy + i);
                (Vector128.Load(dg + i) + NarrowFour(term)).Store(dg + i);
            }
        for (; i < c; i++) dg[i] += (float)((double)r[i] * invstd[i] * sumDyXmu[i] + (double)d[i] * sumDy[i]);
    }

    private static void AccumulateBetaGradient(float* db, double* sumDy, int c)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= c - Vector256<double>.Count; i += Vector256<double>.Count)
                (Vector128.Load(db + i) + NarrowFour(Vector256.Load(sumDy + i))).Store(db + i);
        for (; i < c; i++) db[i] += (float)sumDy[i];
    }
}

using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>The planar ([N, C, S]) loops of the fused training kernels: one channel's planes, float sums over
/// runs of <see cref="FloatRunValues"/> values (per vector lane set) added into double.</summary>
public static unsafe partial class BatchNorm
{
    /// <summary>Mean and M2 of planes [r0, r1) of one channel, shifted by the block's first value K.</summary>
    private static void PlaneBlockStatistics(float* x, int channels, int spatial, int channel, int r0, int r1, out double blockMean, out double blockM2)
    {
        float k = x[((long)r0 * channels + channel) * spatial];
        double s1 = 0, s2 = 0;
        for (int r = r0; r < r1; r++) PlaneShiftedSums(x + ((long)r * channels + channel) * spatial, spatial, k, ref s1, ref s2);
        BlockMoments(k, s1, s2, (double)(r1 - r0) * spatial, out blockMean, out blockM2);
    }

    /// <summary>A block's mean and M2 from its sums shifted by K: K + s1/nb and s2 − s1²/nb.</summary>
    private static void BlockMoments(double k, double s1, double s2, double nb, out double blockMean, out double blockM2)
    {
        blockMean = k + s1 / nb;
        blockM2 = s2 - s1 * s1 / nb;
    }

    /// <summary>s1 += Σ(x − K), s2 += Σ(x − K)² over one plane: float runs of <see cref="FloatRunValues"/> values per
    /// lane set, added in double.</summary>
    private static void PlaneShiftedSums(float* plane, int spatial, float k, ref double s1, ref double s2)
    {
        var kv = Vector256.Create(k);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> w1 = default, w2 = default;
            var kw = Vector512.Create(k);
            int vectorEnd = spatial - spatial % (4 * Vector512<float>.Count);
            for (; i < vectorEnd;)
            {
                int end = Math.Min(vectorEnd, i + 2 * FloatRunValues);
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
                for (; i < end; i += 4 * Vector512<float>.Count)
                {
                    // Scalar math: d = x − K; s1 += d; s2 += d².
                    var v0 = Vector512.Load(plane + i) - kw; var v1 = Vector512.Load(plane + i + 16) - kw;
                    var v2 = Vector512.Load(plane + i + 32) - kw; var v3 = Vector512.Load(plane + i + 48) - kw;
                    a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                    q0 = Vector512.FusedMultiplyAdd(v0, v0, q0); q1 = Vector512.FusedMultiplyAdd(v1, v1, q1);
                    q2 = Vector512.FusedMultiplyAdd(v2, v2, q2); q3 = Vector512.FusedMultiplyAdd(v3, v3, q3);
                }
                w1 += WidenSum((a0 + a1) + (a2 + a3));
                w2 += WidenSum((q0 + q1) + (q2 + q3));
            }
            s1 += Vector512.Sum(w1);
            s2 += Vector512.Sum(w2);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> w1 = default, w2 = default;
            int vectorEnd = i + (spatial - i) / (4 * Vector256<float>.Count) * (4 * Vector256<float>.Count);
            for (; i < vectorEnd;)
            {
                int end = Math.Min(vectorEnd, i + FloatRunValues);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> q0 = default, q1 = default, q2 = default, q3 = default;
                for (; i < end; i += 4 * Vector256<float>.Count)
                {
                    // Scalar math: d = x − K; s1 += d; s2 += d².
                    var v0 = Vector256.Load(plane + i) - kv; var v1 = Vector256.Load(plane + i + 8) - kv;
                    var v2 = Vector256.Load(plane + i + 16) - kv; var v3 = Vector256.Load(plane + i + 24) - kv;
                    a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                    q0 = Vector256.FusedMultiplyAdd(v0, v0, q0); q1 = Vector256.FusedMultiplyAdd(v1, v1, q1);
                    q2 = Vector256.FusedMultiplyAdd(v2, v2, q2); q3 = Vector256.FusedMultiplyAdd(v3, v3, q3);
                }
                w1 += WidenSum((a0 + a1) + (a2 + a3));
                w2 += WidenSum((q0 + q1) + (q2 + q3));
            }
            if (i <= spatial - Vector256<float>.Count)
            {
                Vector256<float> a0 = default, q0 = default;
                for (; i <= spatial - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var v0 = Vector256.Load(plane + i) - kv;
                    a0 += v0;
                    q0 = Vector256.FusedMultiplyAdd(v0, v0, q0);
                }
                w1 += WidenSum(a0);
                w2 += WidenSum(q0);
            }
            s1 += Vector256.Sum(w1);
            s2 += Vector256.Sum(w2);
        }
        for (; i < spatial; i++)
        {
            double d = plane[i] - (double)k;
            s1 += d;
            s2 += d * d;
        }
    }

    /// <summary>Chan et al.: adds a block (mean, M2, nb values) to running statistics; the first block is taken as is.</summary>
    private static void ChanMerge(ref double mean, ref double m2, ref double count, double blockMean, double blockM2, double nb)
    {
        double total = count + nb;
        if (count == 0)
        {
            mean = blockMean;
            m2 = blockM2;
        }
        else
        {
            double delta = blockMean - mean;
            mean += delta * nb / total;
            m2 += blockM2 + delta * delta * count * nb / total;
        }
        count = total;
    }

    /// <summary>Σdy and Σ(x − mean)·dy over planes [r0, r1) of one channel.</summary>
    private static void PlaneBlockBackwardSums(float* x, float* dy, float mean, int channels, int spatial, int channel, int r0, int r1,
        out double sumDy, out double sumDyXmu)
    {
        double g = 0, p = 0;
        for (int r = r0; r < r1; r++)
        {
            long offset = ((long)r * channels + channel) * spatial;
            PlaneBackwardSums(x + offset, dy + offset, spatial, mean, ref g, ref p);
        }
        sumDy = g;
        sumDyXmu = p;
    }

    /// <summary>g += Σdy, p += Σ(x − mean)·dy over one plane (float runs added in double).</summary>
    private static void PlaneBackwardSums(float* xs, float* ds, int spatial, float mean, ref double g, ref double p)
    {
        double m = mean;
        var mv = Vector256.Create(mean);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> wg = default, wp = default;
            var mw = Vector512.Create(mean);
            int vectorEnd = spatial - spatial % (4 * Vector512<float>.Count);
            for (; i < vectorEnd;)
            {
                int end = Math.Min(vectorEnd, i + 2 * FloatRunValues);
                Vector512<float> g0 = default, g1 = default, g2 = default, g3 = default;
                Vector512<float> p0 = default, p1 = default, p2 = default, p3 = default;
                for (; i < end; i += 4 * Vector512<float>.Count)
                {
                    // Scalar math: g += dy; p += (x − mean)·dy.
                    Vector512<float> d0 = Vector512.Load(ds + i), d1 = Vector512.Load(ds + i + 16);
                    Vector512<float> d2 = Vector512.Load(ds + i + 32), d3 = Vector512.Load(ds + i + 48);
                    g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                    p0 = Vector512.FusedMultiplyAdd(Vector512.Load(xs + i) - mw, d0, p0);
                    p1 = Vector512.FusedMultiplyAdd(Vector512.Load(xs + i + 16) - mw, d1, p1);
                    p2 = Vector512.FusedMultiplyAdd(Vector512.Load(xs + i + 32) - mw, d2, p2);
                    p3 = Vector512.FusedMultiplyAdd(Vector512.Load(xs + i + 48) - mw, d3, p3);
                }
                wg += WidenSum((g0 + g1) + (g2 + g3));
                wp += WidenSum((p0 + p1) + (p2 + p3));
            }
            g += Vector512.Sum(wg);
            p += Vector512.Sum(wp);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> wg = default, wp = default;
            int vectorEnd = i + (spatial - i) / (4 * Vector256<float>.Count) * (4 * Vector256<float>.Count);
            for (; i < vectorEnd;)
            {
                int end = Math.Min(vectorEnd, i + FloatRunValues);
                Vector256<float> g0 = default, g1 = default, g2 = default, g3 = default;
                Vector256<float> p0 = default, p1 = default, p2 = default, p3 = default;
                for (; i < end; i += 4 * Vector256<float>.Count)
                {
                    // Scalar math: g += dy; p += (x − mean)·dy.
                    Vector256<float> d0 = Vector256.Load(ds + i), d1 = Vector256.Load(ds + i + 8);
                    Vector256<float> d2 = Vector256.Load(ds + i + 16), d3 = Vector256.Load(ds + i + 24);
                    g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                    p0 = Vector256.FusedMultiplyAdd(Vector256.Load(xs + i) - mv, d0, p0);
                    p1 = Vector256.FusedMultiplyAdd(Vector256.Load(xs + i + 8) - mv, d1, p1);
                    p2 = Vector256.FusedMultiplyAdd(Vector256.Load(xs + i + 16) - mv, d2, p2);
                    p3 = Vector256.FusedMultiplyAdd(Vector256.Load(xs + i + 24) - mv, d3, p3);
                }
                wg += WidenSum((g0 + g1) + (g2 + g3));
                wp += WidenSum((p0 + p1) + (p2 + p3));
            }
            if (i <= spatial - Vector256<float>.Count)
            {
                Vector256<float> g0 = default, p0 = default;
                for (; i <= spatial - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var d0 = Vector256.Load(ds + i);
                    g0 += d0;
                    p0 = Vector256.FusedMultiplyAdd(Vector256.Load(xs + i) - mv, d0, p0);
                }
                wg += WidenSum(g0);
                wp += WidenSum(p0);
            }
            g += Vector256.Sum(wg);
            p += Vector256.Sum(wp);
        }
        for (; i < spatial; i++)
        {
            g += ds[i];
            p += (xs[i] - m) * ds[i];
        }
    }
}

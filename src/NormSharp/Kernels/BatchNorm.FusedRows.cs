using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>The SIMD loops of the fused training kernels (<see cref="ForwardTraining"/>, <see cref="BackwardTraining"/>):
/// [N, C] layout: float sums over runs of <see cref="FloatRunRows"/> rows, added into double accumulators.</summary>
public static unsafe partial class BatchNorm
{
    // Each chunk is a strip of at most 64 columns, swept row by row (four cache lines per row).

    /// <summary>Mean and M2 of columns [c0, c1) of an [N, C] matrix over all rows, written to mean[c], m2[c].
    /// Blocks of <paramref name="blockRows"/> rows shift by their first row and merge with Chan's formula in
    /// block order (<see cref="MergeAllBlocks"/>, as the row parties merge), as <see cref="Statistics"/> does.</summary>
    private static void FusedRowStatistics(float* x, int n, int channels, int blockRows, int c0, int c1, double* mean, double* m2)
    {
        int width = c1 - c0, blocks = (n + blockRows - 1) / blockRows;
        double[] scratch = Scratch(2 * blocks * width);
        fixed (double* ps = scratch)
        {
            new Span<double>(ps, 2 * blocks * width).Clear();
            double* partials = ps - c0; // block b's s1 at partials + b·width, s2 at partials + (blocks + b)·width, by absolute column
            for (int block = 0; block < blocks; block++)
            {
                int r0 = block * blockRows;
                ShiftedRowSums(x, channels, r0, Math.Min(n, r0 + blockRows), c0, c1, partials + (long)block * width,
                    partials + (long)(blocks + block) * width);
            }
            MergeAllBlocks(x, n, channels, blockRows, blocks, partials, width, c0, c1, mean, m2);
        }
    }

    /// <summary>s1[c] += Σ(x − K), s2[c] += Σ(x − K)² over rows [r0, r1), K = x[r0, c]: float over runs of
    /// <see cref="FloatRunRows"/> rows, then double; 64 columns per sweep with AVX-512 (the last strip masked,
    /// BatchNorm.FusedStrips.cs), 32 per sweep with AVX2 and FMA (the last strip masked, BatchNorm.FusedStrips256.cs),
    /// else 32 and 8 columns and a scalar tail.</summary>
    private static void ShiftedRowSums(float* x, int channels, int r0, int r1, int c0, int c1, double* s1, double* s2)
    {
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 64 columns (four cache lines of each row) per sweep: the rows stream through in one pass.
            for (; c < c1; c += StripWidth) StripShiftedSums(x, channels, r0, r1, c, Math.Min(StripWidth, c1 - c), s1 + c, s2 + c);
        }
        else if (Strips256) // 32 columns per sweep, the last strip masked (BatchNorm.FusedStrips256.cs)
        {
            for (; c < c1; c += StripWidth256) StripShiftedSums256(x, channels, r0, r1, c, Math.Min(StripWidth256, c1 - c), s1 + c, s2 + c);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= c1 - 4 * Vector256<float>.Count; c += 4 * Vector256<float>.Count)
            {
                float* first = x + (long)r0 * channels + c;
                Vector256<float> k0 = Vector256.Load(first), k1 = Vector256.Load(first + 8), k2 = Vector256.Load(first + 16), k3 = Vector256.Load(first + 24);
                for (int r = r0; r < r1; r += FloatRunRows)
                {
                    int end = Math.Min(r1, r + FloatRunRows);
                    Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    Vector256<float> q0 = default, q1 = default, q2 = default, q3 = default;
                    for (int rr = r; rr < end; rr++)
                    {
                        // Scalar math: d = x − K; a += d; q += d².
                        float* row = x + (long)rr * channels + c;
                        var v0 = Vector256.Load(row) - k0; var v1 = Vector256.Load(row + 8) - k1;
                        var v2 = Vector256.Load(row + 16) - k2; var v3 = Vector256.Load(row + 24) - k3;
                        a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                        q0 = Vector256.FusedMultiplyAdd(v0, v0, q0); q1 = Vector256.FusedMultiplyAdd(v1, v1, q1);
                        q2 = Vector256.FusedMultiplyAdd(v2, v2, q2); q3 = Vector256.FusedMultiplyAdd(v3, v3, q3);
                    }
                    AddWidened(s1 + c, a0); AddWidened(s1 + c + 8, a1); AddWidened(s1 + c + 16, a2); AddWidened(s1 + c + 24, a3);
                    AddWidened(s2 + c, q0); AddWidened(s2 + c + 8, q1); AddWidened(s2 + c + 16, q2); AddWidened(s2 + c + 24, q3);
                }
            }
            for (; c <= c1 - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                var k0 = Vector256.Load(x + (long)r0 * channels + c);
                for (int r = r0; r < r1; r += FloatRunRows)
                {
                    int end = Math.Min(r1, r + FloatRunRows);
                    Vector256<float> a0 = default, q0 = default;
                    for (int rr = r; rr < end; rr++)
                    {
                        var v0 = Vector256.Load(x + (long)rr * channels + c) - k0;
                        a0 += v0;
                        q0 = Vector256.FusedMultiplyAdd(v0, v0, q0);
                    }
                    AddWidened(s1 + c, a0);
                    AddWidened(s2 + c, q0);
                }
            }
        }
        for (; c < c1; c++)
        {
            double k = x[(long)r0 * channels + c], a = 0, q = 0;
            for (int r = r0; r < r1; r++)
            {
                double d = x[(long)r * channels + c] - k;
                a += d;
                q += d * d;
            }
            s1[c] += a;
            s2[c] += q;
        }
    }

    /// <summary>Σdy and Σ(x − mean)·dy of columns [c0, c1) over all rows, written to sumDy[c], sumDyXmu[c]: each block of
    /// <paramref name="blockRows"/> rows summed from zero (<see cref="BlockBackwardSums"/>), the blocks added in block
    /// order (<see cref="AddAllBlockSums"/>), so that parties owning blocks (BatchNorm.FusedRowParties.cs) compute the same bits.</summary>
    private static void FusedRowBackwardReduce(float* x, float* dy, float* mean, int n, int channels, int blockRows, int c0, int c1,
        double* sumDy, double* sumDyXmu)
    {
        int width = c1 - c0, blocks = (n + blockRows - 1) / blockRows;
        double[] scratch = Scratch(2 * blocks * width);
        fixed (double* ps = scratch)
        {
            double* partials = ps - c0; // block b's Σdy at partials + b·width, Σ(x − mean)·dy at partials + (blocks + b)·width
            for (int block = 0; block < blocks; block++)
            {
                long offset = (long)block * blockRows * channels;
                BlockBackwardSums(x + offset, dy + offset, mean, Math.Min(blockRows, n - block * blockRows), channels, c0, c1,
                    partials + (long)block * width, partials + (long)(blocks + block) * width);
            }
            AddAllBlockSums(blocks, width, partials, c0, c1, sumDy, sumDyXmu);
        }
    }

    /// <summary>Σdy and Σ(x − mean)·dy of columns [c0, c1) over the <paramref name="n"/> rows at x and dy (one block),
    /// from zero, written to sumDy[c], sumDyXmu[c].</summary>
    private static void BlockBackwardSums(float* x, float* dy, float* mean, int n, int channels, int c0, int c1, double* sumDy, double* sumDyXmu)
    {
        new Span<double>(sumDy + c0, c1 - c0).Clear();
        new Span<double>(sumDyXmu + c0, c1 - c0).Clear();
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c < c1; c += StripWidth) StripBackwardSums(x, dy, mean, n, channels, c, Math.Min(StripWidth, c1 - c), sumDy + c, sumDyXmu + c);
        }
        else if (Strips256)
        {
            for (; c < c1; c += StripWidth256) StripBackwardSums256(x, dy, mean, n, channels, c, Math.Min(StripWidth256, c1 - c), sumDy + c, sumDyXmu + c);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= c1 - 4 * Vector256<float>.Count; c += 4 * Vector256<float>.Count)
            {
                Vector256<float> m0 = Vector256.Load(mean + c), m1 = Vector256.Load(mean + c + 8), m2 = Vector256.Load(mean + c + 16), m3 = Vector256.Load(mean + c + 24);
                for (int r = 0; r < n; r += FloatRunRows)
                {
                    int end = Math.Min(n, r + FloatRunRows);
                    Vector256<float> g0 = default, g1 = default, g2 = default, g3 = default;
                    Vector256<float> p0 = default, p1 = default, p2 = default, p3 = default;
                    for (int rr = r; rr < end; rr++)
                    {
                        // Scalar math: g += dy; p += (x − mean)·dy.
                        long offset = (long)rr * channels + c;
                        Vector256<float> d0 = Vector256.Load(dy + offset), d1 = Vector256.Load(dy + offset + 8);
                        Vector256<float> d2 = Vector256.Load(dy + offset + 16), d3 = Vector256.Load(dy + offset + 24);
                        g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                        p0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + offset) - m0, d0, p0);
                        p1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + offset + 8) - m1, d1, p1);
                        p2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + offset + 16) - m2, d2, p2);
                        p3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + offset + 24) - m3, d3, p3);
                    }
                    AddWidened(sumDy + c, g0); AddWidened(sumDy + c + 8, g1); AddWidened(sumDy + c + 16, g2); AddWidened(sumDy + c + 24, g3);
                    AddWidened(sumDyXmu + c, p0); AddWidened(sumDyXmu + c + 8, p1); AddWidened(sumDyXmu + c + 16, p2); AddWidened(sumDyXmu + c + 24, p3);
                }
            }
            for (; c <= c1 - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                var m0 = Vector256.Load(mean + c);
                for (int r = 0; r < n; r += FloatRunRows)
                {
                    int end = Math.Min(n, r + FloatRunRows);
                    Vector256<float> g0 = default, p0 = default;
                    for (int rr = r; rr < end; rr++)
                    {
                        long offset = (long)rr * channels + c;
                        var d0 = Vector256.Load(dy + offset);
                        g0 += d0;
                        p0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + offset) - m0, d0, p0);
                    }
                    AddWidened(sumDy + c, g0);
                    AddWidened(sumDyXmu + c, p0);
                }
            }
        }
        for (; c < c1; c++)
        {
            double m = mean[c], g = 0, p = 0;
            for (int r = 0; r < n; r++)
            {
                long offset = (long)r * channels + c;
                g += dy[offset];
                p += (x[offset] - m) * dy[offset];
            }
            sumDy[c] = g;
            sumDyXmu[c] = p;
        }
    }

    /// <summary>The strip form of <see cref="FusedRowAffine"/> (without v, <paramref name="activation"/> on each result vector
    /// before its store): strips of 64 columns with AVX-512 (BatchNorm.FusedStrips.cs), of 32 with AVX2 and FMA
    /// (BatchNorm.FusedStrips256.cs), the last one masked. False, having written nothing, where neither runs.</summary>
    private static bool TryStripAffine<TAct>(float* u, float* v, float* output, int n, int channels, int c0, int c1, float* a, float* b, float* shift,
        TAct activation) where TAct : struct, VectorBlock.IMap, VectorBlock.IMap256
    {
        if (Vector512.IsHardwareAccelerated)
            for (int c = c0; c < c1; c += StripWidth) StripAffine(u, v, output, n, channels, c, Math.Min(StripWidth, c1 - c), a, b, shift, activation);
        else if (Strips256)
            for (int c = c0; c < c1; c += StripWidth256) StripAffine256(u, v, output, n, channels, c, Math.Min(StripWidth256, c1 - c), a, b, shift, activation);
        else return false;
        return true;
    }

    /// <summary>out[r, c] = u·a[c] + shift[c] (+ v·b[c] when v is given) over columns [c0, c1) of every row,
    /// with the same fused multiply-adds as <see cref="Apply"/> and <see cref="BackwardApply"/>.</summary>
    private static void FusedRowAffine(float* u, float* v, float* output, int n, int channels, int c0, int c1, float* a, float* b, float* shift)
    {
        if (TryStripAffine(u, v, output, n, channels, c0, c1, a, b, shift, default(NoActivation))) return;
        for (int r = 0; r < n; r++)
        {
            long offset = (long)r * channels;
            float* ur = u + offset, vr = v + offset, o = output + offset;
            int c = c0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; c <= c1 - Vector256<float>.Count; c += Vector256<float>.Count)
                {
                    var y = Vector256.FusedMultiplyAdd(Vector256.Load(ur + c), Vector256.Load(a + c), Vector256.Load(shift + c));
                    if (v != null) y = Vector256.FusedMultiplyAdd(Vector256.Load(vr + c), Vector256.Load(b + c), y);
                    y.Store(o + c);
                }
            }
            for (; c < c1; c++)
            {
                float y = MathF.FusedMultiplyAdd(ur[c], a[c], shift[c]);
                o[c] = v != null ? MathF.FusedMultiplyAdd(vr[c], b[c], y) : y;
            }
        }
    }

    /// <summary>target[0..8) += (double)v.</summary>
    private static void AddWidened(double* target, Vector256<float> v)
    {
        var (lo, hi) = Vector256.Widen(v);
        (Vector256.Load(target) + lo).Store(target);
        (Vector256.Load(target + 4) + hi).Store(target + 4);
    }

    /// <summary>target[0..16) += (double)v.</summary>
    private static void AddWidened(double* target, Vector512<float> v)
    {
        var (lo, hi) = Vector512.Widen(v);
        (Vector512.Load(target) + lo).Store(target);
        (Vector512.Load(target + 8) + hi).Store(target + 8);
    }

    /// <summary>The sixteen lanes of <paramref name="v"/> as eight double lanes (pairs added in double).</summary>
    private static Vector512<double> WidenSum(Vector512<float> v)
    {
        var (lo, hi) = Vector512.Widen(v);
        return lo + hi;
    }

    /// <summary>The eight lanes of <paramref name="v"/> as four double lanes (pairs added in double).</summary>
    private static Vector256<double> WidenSum(Vector256<float> v)
    {
        var (lo, hi) = Vector256.Widen(v);
        return lo + hi;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

/// <summary>The AVX2 strip loops of the fused [N, C] kernels, for machines without AVX-512 (Zen 3): the design of
/// BatchNorm.FusedStrips.cs at 256 bits. One sweep down the rows of a strip of at most <see cref="StripWidth256"/>
/// columns, four ymm vectors per row, coefficients in registers, the last strip of a width that is not a multiple of
/// 32 masked (Avx.MaskLoad / MaskStore) instead of 8-lane and scalar tails. Each column's arithmetic is the
/// AVX-512 strips' (float runs of <see cref="FloatRunRows"/> rows added in double, x·1 − K on the FMA pipes), so a
/// column's result does not depend on where its strip starts or whether it is masked.</summary>
/// <remarks>32 columns rather than 64: a 64-column statistics sweep needs 8 shifts and 16 accumulators, more than
/// the 16 ymm registers.</remarks>
public static unsafe partial class BatchNorm
{
    /// <summary>Columns one AVX2 sweep covers: four ymm vectors, two cache lines of each row.</summary>
    private const int StripWidth256 = 4 * 8;

    /// <summary>Whether the [N, C] fused kernels run the AVX2 strips: Vector512 not accelerated, AVX2 and FMA present.</summary>
    private static bool Strips256 => !Vector512.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>t1[j] += Σ(x − K), t2[j] += Σ(x − K)² for columns c + j, j &lt; width ≤ 32, over rows [r0, r1),
    /// K = x[r0, c + j] (as <see cref="StripShiftedSums(float*, int, int, int, int, int, double*, double*)"/>).</summary>
    private static void StripShiftedSums256(float* x, int channels, int r0, int r1, int c, int width, double* t1, double* t2)
    {
        if (width == StripWidth256)
        {
            StripShiftedSums256(x, channels, r0, r1, c, true, default, default, default, default, t1, t2);
            return;
        }
        var (m0, m1, m2, m3) = StripMasks256(width);
        double* tail = stackalloc double[2 * StripWidth]; // AddTail's layout: the second sums at tail + StripWidth
        new Span<double>(tail, 2 * StripWidth).Clear();
        StripShiftedSums256(x, channels, r0, r1, c, false, m0, m1, m2, m3, tail, tail + StripWidth);
        AddTail(tail, width, t1, t2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StripShiftedSums256(float* x, int channels, int r0, int r1, int c, bool full,
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, double* t1, double* t2)
    {
        float* first = x + (long)r0 * channels + c;
        // Two of the four shifts run as x·1 − K on the FMA pipes (exactly x − K), so that the subtractions and sums
        // do not all queue on Zen 3's two FP-add pipes (the FMA pipes are the other two).
        Vector256<float> one = Vector256<float>.One;
        Vector256<float> nk0 = -Lanes(first, full, m0), k1 = Lanes(first + 8, full, m1), nk2 = -Lanes(first + 16, full, m2), k3 = Lanes(first + 24, full, m3);
        for (int r = r0; r < r1; r += FloatRunRows)
        {
            int end = Math.Min(r1, r + FloatRunRows);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> q0 = default, q1 = default, q2 = default, q3 = default;
            float* row = x + (long)r * channels + c;
            for (int rr = r; rr < end; rr++, row += channels)
            {
                // Scalar math: d = x − K; a += d; q += d².
                Prefetch256(row + PrefetchRows * channels);
                var v0 = Vector256.FusedMultiplyAdd(Lanes(row, full, m0), one, nk0); var v1 = Lanes(row + 8, full, m1) - k1;
                var v2 = Vector256.FusedMultiplyAdd(Lanes(row + 16, full, m2), one, nk2); var v3 = Lanes(row + 24, full, m3) - k3;
                a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                q0 = Vector256.FusedMultiplyAdd(v0, v0, q0); q1 = Vector256.FusedMultiplyAdd(v1, v1, q1);
                q2 = Vector256.FusedMultiplyAdd(v2, v2, q2); q3 = Vector256.FusedMultiplyAdd(v3, v3, q3);
            }
            AddWidened(t1, a0); AddWidened(t1 + 8, a1); AddWidened(t1 + 16, a2); AddWidened(t1 + 24, a3);
            AddWidened(t2, q0); AddWidened(t2 + 8, q1); AddWidened(t2 + 16, q2); AddWidened(t2 + 24, q3);
        }
    }

    /// <summary>t1[j] += Σdy, t2[j] += Σ(x − mean)·dy for columns c + j, j &lt; width ≤ 32, over all n rows
    /// (as <see cref="StripBackwardSums(float*, float*, float*, int, int, int, int, double*, double*)"/>).</summary>
    private static void StripBackwardSums256(float* x, float* dy, float* mean, int n, int channels, int c, int width, double* t1, double* t2)
    {
        if (width == StripWidth256)
        {
            StripBackwardSums256(x, dy, mean, n, channels, c, true, default, default, default, default, t1, t2);
            return;
        }
        var (m0, m1, m2, m3) = StripMasks256(width);
        double* tail = stackalloc double[2 * StripWidth];
        new Span<double>(tail, 2 * StripWidth).Clear();
        StripBackwardSums256(x, dy, mean, n, channels, c, false, m0, m1, m2, m3, tail, tail + StripWidth);
        AddTail(tail, width, t1, t2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StripBackwardSums256(float* x, float* dy, float* mean, int n, int channels, int c, bool full,
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, double* t1, double* t2)
    {
        Vector256<float> one = Vector256<float>.One; // x·1 − mean on the FMA pipes for two vectors, as above
        Vector256<float> nu0 = -Lanes(mean + c, full, m0), u1 = Lanes(mean + c + 8, full, m1), nu2 = -Lanes(mean + c + 16, full, m2), u3 = Lanes(mean + c + 24, full, m3);
        for (int r = 0; r < n; r += FloatRunRows)
        {
            int end = Math.Min(n, r + FloatRunRows);
            Vector256<float> g0 = default, g1 = default, g2 = default, g3 = default;
            Vector256<float> p0 = default, p1 = default, p2 = default, p3 = default;
            long offset = (long)r * channels + c;
            for (int rr = r; rr < end; rr++, offset += channels)
            {
                // Scalar math: g += dy; p += (x − mean)·dy.
                Prefetch256(dy + offset + PrefetchRows * channels);
                Prefetch256(x + offset + PrefetchRows * channels);
                Vector256<float> d0 = Lanes(dy + offset, full, m0), d1 = Lanes(dy + offset + 8, full, m1);
                Vector256<float> d2 = Lanes(dy + offset + 16, full, m2), d3 = Lanes(dy + offset + 24, full, m3);
                g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                p0 = Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Lanes(x + offset, full, m0), one, nu0), d0, p0);
                p1 = Vector256.FusedMultiplyAdd(Lanes(x + offset + 8, full, m1) - u1, d1, p1);
                p2 = Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Lanes(x + offset + 16, full, m2), one, nu2), d2, p2);
                p3 = Vector256.FusedMultiplyAdd(Lanes(x + offset + 24, full, m3) - u3, d3, p3);
            }
            AddWidened(t1, g0); AddWidened(t1 + 8, g1); AddWidened(t1 + 16, g2); AddWidened(t1 + 24, g3);
            AddWidened(t2, p0); AddWidened(t2 + 8, p1); AddWidened(t2 + 16, p2); AddWidened(t2 + 24, p3);
        }
    }

    /// <summary>out[r, c + j] = u·a + shift (+ v·b when v is given) for j &lt; width ≤ 32 over all n rows, the
    /// coefficients in registers, the same fused multiply-adds as <see cref="Apply"/> and <see cref="BackwardApply"/>.
    /// Without v, <paramref name="activation"/> maps each result vector before its store (BN → activation fusion).</summary>
    private static void StripAffine256<TAct>(float* u, float* v, float* output, int n, int channels, int c, int width, float* a, float* b, float* shift,
        TAct activation) where TAct : struct, VectorBlock.IMap256
    {
        if (width == StripWidth256) StripAffine256(u, v, output, n, channels, c, true, default, default, default, default, a, b, shift, activation);
        else
        {
            var (m0, m1, m2, m3) = StripMasks256(width);
            StripAffine256(u, v, output, n, channels, c, false, m0, m1, m2, m3, a, b, shift, activation);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StripAffine256<TAct>(float* u, float* v, float* output, int n, int channels, int c, bool full,
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, float* a, float* b, float* shift, TAct activation)
        where TAct : struct, VectorBlock.IMap256
    {
        Vector256<float> a0 = Lanes(a + c, full, m0), a1 = Lanes(a + c + 8, full, m1), a2 = Lanes(a + c + 16, full, m2), a3 = Lanes(a + c + 24, full, m3);
        Vector256<float> s0 = Lanes(shift + c, full, m0), s1 = Lanes(shift + c + 8, full, m1), s2 = Lanes(shift + c + 16, full, m2), s3 = Lanes(shift + c + 24, full, m3);
        if (v == null)
        {
            long offset = c;
            for (int r = 0; r < n; r++, offset += channels)
            {
                // Scalar math: y = f(u·a + shift).
                float* ur = u + offset, o = output + offset;
                StoreLanes(activation.Invoke(Vector256.FusedMultiplyAdd(Lanes(ur, full, m0), a0, s0)), o, full, m0);
                StoreLanes(activation.Invoke(Vector256.FusedMultiplyAdd(Lanes(ur + 8, full, m1), a1, s1)), o + 8, full, m1);
                StoreLanes(activation.Invoke(Vector256.FusedMultiplyAdd(Lanes(ur + 16, full, m2), a2, s2)), o + 16, full, m2);
                StoreLanes(activation.Invoke(Vector256.FusedMultiplyAdd(Lanes(ur + 24, full, m3), a3, s3)), o + 24, full, m3);
            }
            return;
        }
        Vector256<float> b0 = Lanes(b + c, full, m0), b1 = Lanes(b + c + 8, full, m1), b2 = Lanes(b + c + 16, full, m2), b3 = Lanes(b + c + 24, full, m3);
        long at = c;
        for (int r = 0; r < n; r++, at += channels)
        {
            // Scalar math: out = v·b + (u·a + shift).
            float* ur = u + at, vr = v + at, o = output + at;
            StoreLanes(Vector256.FusedMultiplyAdd(Lanes(vr, full, m0), b0, Vector256.FusedMultiplyAdd(Lanes(ur, full, m0), a0, s0)), o, full, m0);
            StoreLanes(Vector256.FusedMultiplyAdd(Lanes(vr + 8, full, m1), b1, Vector256.FusedMultiplyAdd(Lanes(ur + 8, full, m1), a1, s1)), o + 8, full, m1);
            StoreLanes(Vector256.FusedMultiplyAdd(Lanes(vr + 16, full, m2), b2, Vector256.FusedMultiplyAdd(Lanes(ur + 16, full, m2), a2, s2)), o + 16, full, m2);
            StoreLanes(Vector256.FusedMultiplyAdd(Lanes(vr + 24, full, m3), b3, Vector256.FusedMultiplyAdd(Lanes(ur + 24, full, m3), a3, s3)), o + 24, full, m3);
        }
    }

    /// <summary>out[r, c] = activation(u·a[c] + shift[c]) (or v·b[c] + (u·a[c] + shift[c]) when v is given, no activation)
    /// for columns [c0, c1) of every row, a row at a time, the row's last vector masked: the fused multiply-adds of
    /// <see cref="StripAffine256{TAct}(float*, float*, float*, int, int, int, int, float*, float*, float*, TAct)"/>, for
    /// <see cref="AppliesByRows"/> widths (a multiple of 512: rows 2 KB apart fall into the same L1 and L2 sets, so a strip's
    /// rows evict each other before the apply re-reads them).</summary>
    private static void RowAffine256<TAct>(float* u, float* v, float* output, int n, int channels, int c0, int c1, float* a, float* b, float* shift,
        TAct activation) where TAct : struct, VectorBlock.IMap256
    {
        int width = c1 - c0, whole = width & ~(Vector256<float>.Count - 1);
        var mask = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(width - whole)).AsSingle();
        a += c0; b += c0; shift += c0;
        for (long r = 0, offset = c0; r < n; r++, offset += channels)
        {
            float* ur = u + offset, vr = v + offset, o = output + offset;
            int j = 0;
            for (; j < whole; j += Vector256<float>.Count)
            {
                // Scalar math: y = f(u·a + shift), or v·b + (u·a + shift).
                var y = Vector256.FusedMultiplyAdd(Vector256.Load(ur + j), Vector256.Load(a + j), Vector256.Load(shift + j));
                if (v == null) activation.Invoke(y).Store(o + j);
                else Vector256.FusedMultiplyAdd(Vector256.Load(vr + j), Vector256.Load(b + j), y).Store(o + j);
            }
            if (j == width) continue;
            var t = Vector256.FusedMultiplyAdd(Avx.MaskLoad(ur + j, mask), Avx.MaskLoad(a + j, mask), Avx.MaskLoad(shift + j, mask));
            if (v == null) Avx.MaskStore(o + j, mask, activation.Invoke(t));
            else Avx.MaskStore(o + j, mask, Vector256.FusedMultiplyAdd(Avx.MaskLoad(vr + j, mask), Avx.MaskLoad(b + j, mask), t));
        }
    }

    /// <summary>Asks for the cache lines of one 32-column strip row: two, or three when the row's 128 bytes straddle
    /// a line border (rows of 500 floats start anywhere in a line). A hint: never faults, even past the array.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch256(float* row)
    {
        Sse.Prefetch0(row);
        Sse.Prefetch0(row + 16);
        Sse.Prefetch0(row + 31);
    }

    /// <summary>Lane masks of the four vectors of a strip <paramref name="width"/> columns wide (sign bit set: the lane is read).</summary>
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) StripMasks256(int width)
    {
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var w = Vector256.Create(width);
        return (Vector256.LessThan(lanes, w).AsSingle(), Vector256.LessThan(lanes + Vector256.Create(8), w).AsSingle(),
            Vector256.LessThan(lanes + Vector256.Create(16), w).AsSingle(), Vector256.LessThan(lanes + Vector256.Create(24), w).AsSingle());
    }

    /// <summary>Eight floats at p, or (masked) the lanes of <paramref name="mask"/> and zeros: masked-off lanes are
    /// never read (vmaskmovps does not fault on them), so the vector may run past the end of the array.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lanes(float* p, bool full, Vector256<float> mask) =>
        full ? Vector256.Load(p) : Avx.MaskLoad(p, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector256<float> value, float* p, bool full, Vector256<float> mask)
    {
        if (full) value.Store(p);
        else Avx.MaskStore(p, mask, value);
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

/// <summary>The AVX-512 strip loops of the fused [N, C] kernels: one sweep down the rows of a strip of at most
/// <see cref="StripWidth"/> columns, four vectors per row. The last strip of a row width that is not a multiple of
/// 64 runs the same loop with masked loads (the scalar and 8-lane loops it used to take cost as much as the seven
/// full strips of [500, 500] together); each column's arithmetic is the same in either form.</summary>
public static unsafe partial class BatchNorm
{
    /// <summary>Columns one AVX-512 sweep covers: four vectors, four cache lines of each row.</summary>
    private const int StripWidth = 4 * 16;

    /// <summary>t1[j] += Σ(x − K), t2[j] += Σ(x − K)² for columns c + j, j &lt; width ≤ 64, over rows [r0, r1),
    /// K = x[r0, c + j]: float sums over runs of <see cref="FloatRunRows"/> rows, then added in double.</summary>
    private static void StripShiftedSums(float* x, int channels, int r0, int r1, int c, int width, double* t1, double* t2)
    {
        if (width == StripWidth)
        {
            StripShiftedSums(x, channels, r0, r1, c, true, default, default, default, default, t1, t2);
            return;
        }
        var (m0, m1, m2, m3) = StripMasks(width);
        double* tail = stackalloc double[2 * StripWidth];
        new Span<double>(tail, 2 * StripWidth).Clear();
        StripShiftedSums(x, channels, r0, r1, c, false, m0, m1, m2, m3, tail, tail + StripWidth);
        AddTail(tail, width, t1, t2);
    }

    /// <summary>t1[j] += tail[j], t2[j] += tail[64 + j] for j &lt; width: a masked strip's sums, accumulated in a
    /// 64-lane scratch, added to targets that end at the strip's last column.</summary>
    private static void AddTail(double* tail, int width, double* t1, double* t2)
    {
        for (int j = 0; j < width; j++)
        {
            t1[j] += tail[j];
            t2[j] += tail[StripWidth + j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StripShiftedSums(float* x, int channels, int r0, int r1, int c, bool full,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, double* t1, double* t2)
    {
        float* first = x + (long)r0 * channels + c;
        // Two of the four shifts run as x·1 − K on the FMA pipes (exactly x − K: one rounding either way), so
        // that the subtractions and sums do not all queue on Zen 4's two FP-add pipes.
        Vector512<float> one = Vector512<float>.One;
        Vector512<float> nk0 = -Lanes(first, full, m0), k1 = Lanes(first + 16, full, m1), nk2 = -Lanes(first + 32, full, m2), k3 = Lanes(first + 48, full, m3);
        for (int r = r0; r < r1; r += FloatRunRows)
        {
            int end = Math.Min(r1, r + FloatRunRows);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
            float* row = x + (long)r * channels + c;
            for (int rr = r; rr < end; rr++, row += channels)
            {
                // Scalar math: d = x − K; a += d; q += d².
                Prefetch(row + PrefetchRows * channels);
                var v0 = Vector512.FusedMultiplyAdd(Lanes(row, full, m0), one, nk0); var v1 = Lanes(row + 16, full, m1) - k1;
                var v2 = Vector512.FusedMultiplyAdd(Lanes(row + 32, full, m2), one, nk2); var v3 = Lanes(row + 48, full, m3) - k3;
                a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                q0 = Vector512.FusedMultiplyAdd(v0, v0, q0); q1 = Vector512.FusedMultiplyAdd(v1, v1, q1);
                q2 = Vector512.FusedMultiplyAdd(v2, v2, q2); q3 = Vector512.FusedMultiplyAdd(v3, v3, q3);
            }
            AddWidened(t1, a0); AddWidened(t1 + 16, a1); AddWidened(t1 + 32, a2); AddWidened(t1 + 48, a3);
            AddWidened(t2, q0); AddWidened(t2 + 16, q1); AddWidened(t2 + 32, q2); AddWidened(t2 + 48, q3);
        }
    }

    /// <summary>t1[j] += Σdy, t2[j] += Σ(x − mean)·dy for columns c + j, j &lt; width ≤ 64, over all n rows
    /// (float runs of <see cref="FloatRunRows"/> rows added in double).</summary>
    private static void StripBackwardSums(float* x, float* dy, float* mean, int n, int channels, int c, int width, double* t1, double* t2)
    {
        if (width == StripWidth)
        {
            StripBackwardSums(x, dy, mean, n, channels, c, true, default, default, default, default, t1, t2);
            return;
        }
        var (m0, m1, m2, m3) = StripMasks(width);
        double* tail = stackalloc double[2 * StripWidth];
        new Span<double>(tail, 2 * StripWidth).Clear();
        StripBackwardSums(x, dy, mean, n, channels, c, false, m0, m1, m2, m3, tail, tail + StripWidth);
        AddTail(tail, width, t1, t2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StripBackwardSums(float* x, float* dy, float* mean, int n, int channels, int c, bool full,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, double* t1, double* t2)
    {
        Vector512<float> one = Vector512<float>.One; // x·1 − mean on the FMA pipes for two vectors, as above
        Vector512<float> nu0 = -Lanes(mean + c, full, m0), u1 = Lanes(mean + c + 16, full, m1), nu2 = -Lanes(mean + c + 32, full, m2), u3 = Lanes(mean + c + 48, full, m3);
        for (int r = 0; r < n; r += FloatRunRows)
        {
            int end = Math.Min(n, r + FloatRunRows);
            Vector512<float> g0 = default, g1 = default, g2 = default, g3 = default;
            Vector512<float> p0 = default, p1 = default, p2 = default, p3 = default;
            long offset = (long)r * channels + c;
            for (int rr = r; rr < end; rr++, offset += channels)
            {
                // Scalar math: g += dy; p += (x − mean)·dy.
                Prefetch(dy + offset + PrefetchRows * channels);
                Prefetch(x + offset + PrefetchRows * channels);
                Vector512<float> d0 = Lanes(dy + offset, full, m0), d1 = Lanes(dy + offset + 16, full, m1);
                Vector512<float> d2 = Lanes(dy + offset + 32, full, m2), d3 = Lanes(dy + offset + 48, full, m3);
                g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                p0 = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Lanes(x + offset, full, m0), one, nu0), d0, p0);
                p1 = Vector512.FusedMultiplyAdd(Lanes(x + offset + 16, full, m1) - u1, d1, p1);
                p2 = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Lanes(x + offset + 32, full, m2), one, nu2), d2, p2);
                p3 = Vector512.FusedMultiplyAdd(Lanes(x + offset + 48, full, m3) - u3, d3, p3);
            }
            AddWidened(t1, g0); AddWidened(t1 + 16, g1); AddWidened(t1 + 32, g2); AddWidened(t1 + 48, g3);
            AddWidened(t2, p0); AddWidened(t2 + 16, p1); AddWidened(t2 + 32, p2); AddWidened(t2 + 48, p3);
        }
    }

    /// <summary>out[r, c + j] = u·a + shift (+ v·b when v is given) for j &lt; width ≤ 64 over all n rows, the
    /// coefficients held in registers; the same fused multiply-adds as <see cref="Apply"/> and <see cref="BackwardApply"/>.
    /// Without v, <paramref name="activation"/> maps each result vector before its store (BN → activation fusion).</summary>
    private static void StripAffine<TAct>(float* u, float* v, float* output, int n, int channels, int c, int width, float* a, float* b, float* shift,
        TAct activation) where TAct : struct, VectorBlock.IMap
    {
        if (width == StripWidth) StripAffine(u, v, output, n, channels, c, true, default, default, default, default, a, b, shift, activation);
        else
        {
            var (m0, m1, m2, m3) = StripMasks(width);
            StripAffine(u, v, output, n, channels, c, false, m0, m1, m2, m3, a, b, shift, activation);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StripAffine<TAct>(float* u, float* v, float* output, int n, int channels, int c, bool full,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, float* a, float* b, float* shift, TAct activation)
        where TAct : struct, VectorBlock.IMap
    {
        Vector512<float> a0 = Lanes(a + c, full, m0), a1 = Lanes(a + c + 16, full, m1), a2 = Lanes(a + c + 32, full, m2), a3 = Lanes(a + c + 48, full, m3);
        Vector512<float> s0 = Lanes(shift + c, full, m0), s1 = Lanes(shift + c + 16, full, m1), s2 = Lanes(shift + c + 32, full, m2), s3 = Lanes(shift + c + 48, full, m3);
        if (v == null)
        {
            long offset = c;
            for (int r = 0; r < n; r++, offset += channels)
            {
                float* ur = u + offset, o = output + offset;
                StoreLanes(activation.Invoke(Vector512.FusedMultiplyAdd(Lanes(ur, full, m0), a0, s0)), o, full, m0);
                StoreLanes(activation.Invoke(Vector512.FusedMultiplyAdd(Lanes(ur + 16, full, m1), a1, s1)), o + 16, full, m1);
                StoreLanes(activation.Invoke(Vector512.FusedMultiplyAdd(Lanes(ur + 32, full, m2), a2, s2)), o + 32, full, m2);
                StoreLanes(activation.Invoke(Vector512.FusedMultiplyAdd(Lanes(ur + 48, full, m3), a3, s3)), o + 48, full, m3);
            }
            return;
        }
        Vector512<float> b0 = Lanes(b + c, full, m0), b1 = Lanes(b + c + 16, full, m1), b2 = Lanes(b + c + 32, full, m2), b3 = Lanes(b + c + 48, full, m3);
        long at = c;
        for (int r = 0; r < n; r++, at += channels)
        {
            float* ur = u + at, vr = v + at, o = output + at;
            StoreLanes(Vector512.FusedMultiplyAdd(Lanes(vr, full, m0), b0, Vector512.FusedMultiplyAdd(Lanes(ur, full, m0), a0, s0)), o, full, m0);
            StoreLanes(Vector512.FusedMultiplyAdd(Lanes(vr + 16, full, m1), b1, Vector512.FusedMultiplyAdd(Lanes(ur + 16, full, m1), a1, s1)), o + 16, full, m1);
            StoreLanes(Vector512.FusedMultiplyAdd(Lanes(vr + 32, full, m2), b2, Vector512.FusedMultiplyAdd(Lanes(ur + 32, full, m2), a2, s2)), o + 32, full, m2);
            StoreLanes(Vector512.FusedMultiplyAdd(Lanes(vr + 48, full, m3), b3, Vector512.FusedMultiplyAdd(Lanes(ur + 48, full, m3), a3, s3)), o + 48, full, m3);
        }
    }

    /// <summary>Whether the fused [N, C] kernels apply a chunk row by row (<see cref="RowAffine"/>) after summing all its
    /// strips, instead of strip by strip: with rows of a multiple of 2 KB (C a multiple of 512) all rows of a strip fall
    /// into the same few L1 and L2 sets, and (our reading) its stores could not all be in flight. In-process A/B, 2 threads: [500, 1024]
    /// forward 79.6 → 50.7 µs, backward 125.9 → 74.5; [500, 2048] 168 → 97 and 256 → 152; [500, 512] 22.8 → 20.3 and
    /// 39.6 → 36.3. Copying each strip for the second pass's loads had changed nothing. For other widths the strips stay
    /// ahead (row by row: [500, 500] 17.8 → 21.0 and 30.6 → 35.6, [500, 256] 7.7 → 10.8; bench/RESULTS.md).</summary>
    /// <remarks>With the AVX2 strips (Zen 3, 1 thread, in-process A/B) [500, 1024] forward 432 → 253 µs, backward 598 → 423;
    /// [500, 500] stays on strips (row by row: 1 thread ~3% faster, 2 threads up to 20% slower in the quiet samples).</remarks>
    private static bool AppliesByRows(int channels) => channels % 512 == 0 && (Vector512.IsHardwareAccelerated || Strips256);

    /// <summary>out[r, c] = activation(u·a[c] + shift[c]) (or v·b[c] + (u·a[c] + shift[c]) when v is given, no activation)
    /// for columns [c0, c1) of every row, the row's last vector masked: the same fused multiply-adds as
    /// <see cref="StripAffine{TAct}(float*, float*, float*, int, int, int, int, float*, float*, float*, TAct)"/>, a row at a
    /// time (whole strips of a width that is a multiple of 512, and the row parties' own rows where the flat apply does not
    /// fit, BatchNorm.FusedRowParties.cs).</summary>
    private static void RowAffine<TAct>(float* u, float* v, float* output, int n, int channels, int c0, int c1, float* a, float* b, float* shift,
        TAct activation) where TAct : struct, VectorBlock.IMap, VectorBlock.IMap256
    {
        if (!Vector512.IsHardwareAccelerated) // the AVX2 strips' row-by-row form (BatchNorm.FusedStrips256.cs)
        {
            RowAffine256(u, v, output, n, channels, c0, c1, a, b, shift, activation);
            return;
        }
        int width = c1 - c0, whole = width & ~(Vector512<float>.Count - 1);
        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width - whole)).AsSingle();
        a += c0; b += c0; shift += c0;
        for (long r = 0, offset = c0; r < n; r++, offset += channels)
        {
            float* ur = u + offset, vr = v + offset, o = output + offset;
            int j = 0;
            for (; j < whole; j += Vector512<float>.Count)
            {
                var y = Vector512.FusedMultiplyAdd(Vector512.Load(ur + j), Vector512.Load(a + j), Vector512.Load(shift + j));
                if (v == null) activation.Invoke(y).Store(o + j);
                else Vector512.FusedMultiplyAdd(Vector512.Load(vr + j), Vector512.Load(b + j), y).Store(o + j);
            }
            if (j == width) continue;
            var t = Vector512.FusedMultiplyAdd(Lanes(ur + j, false, mask), Lanes(a + j, false, mask), Lanes(shift + j, false, mask));
            if (v == null) StoreLanes(activation.Invoke(t), o + j, false, mask);
            else StoreLanes(Vector512.FusedMultiplyAdd(Lanes(vr + j, false, mask), Lanes(b + j, false, mask), t), o + j, false, mask);
        }
    }

    /// <summary>The identity: a strip apply without an activation.</summary>
    private readonly struct NoActivation : VectorBlock.IMap, VectorBlock.IMap256
    {
        public Vector512<float> Invoke(Vector512<float> x) => x;
        public Vector256<float> Invoke(Vector256<float> x) => x;
    }

    /// <summary>Rows ahead that the strip sweeps prefetch: the hardware prefetchers follow a 256-byte run every
    /// row-stride less well than a sequential stream (measured ~10% on the statistics of [500, 512]).</summary>
    private const int PrefetchRows = 16;

    /// <summary>Asks for the four cache lines of one strip row (a hint: never faults, even past the array).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* row)
    {
        Sse.Prefetch0(row);
        Sse.Prefetch0(row + 16);
        Sse.Prefetch0(row + 32);
        Sse.Prefetch0(row + 48);
    }

    /// <summary>Lane masks of the four vectors of a strip <paramref name="width"/> columns wide.</summary>
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) StripMasks(int width)
    {
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var w = Vector512.Create(width);
        return (Vector512.LessThan(lanes, w).AsSingle(), Vector512.LessThan(lanes + Vector512.Create(16), w).AsSingle(),
            Vector512.LessThan(lanes + Vector512.Create(32), w).AsSingle(), Vector512.LessThan(lanes + Vector512.Create(48), w).AsSingle());
    }

    /// <summary>Sixteen floats at p, or (masked) the lanes of <paramref name="mask"/> and zeros: masked-off lanes are
    /// never read, so the vector may run past the end of the array.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(float* p, bool full, Vector512<float> mask) =>
        full ? Vector512.Load(p) : Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector512<float> value, float* p, bool full, Vector512<float> mask)
    {
        if (full) value.Store(p);
        else Avx512F.MaskStore(p, mask, value);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // The matrix products of a convolution have one small side (C_out = 6 or 16 in LeNet) and the output
    // positions H'·W' (576, 64) along contiguous rows. A general packed GEMM spends most of its time on
    // packing and edge tiles at these shapes; broadcasting one weight against 16-lane rows of the im2col
    // matrix keeps everything in registers with no packing (the "spatial dimension in the vector lanes"
    // layout of shared/PERF.md, "Convolution"). Without Vector512 they run as the Vector256 forms of
    // Conv2dKernel.Products256.cs where AVX2 and FMA are available, else through Gemm.Sgemm.

    /// <summary>
    /// C[i, j] = Σ_p A(i, p) · B[p, j] for i &lt; m, j &lt; n, with A(i, p) = a[i·rowStride + p·colStride]
    /// (so A may be read transposed), B row-major [k, n], C row-major [m, n] (overwritten), plus
    /// <paramref name="rowInit"/>[i] when it is not null (the convolution's bias, added without a second pass).
    /// </summary>
    internal static void MultiplyRows(int m, int n, int k, float* a, int rowStride, int colStride, float* b, float* c,
        float* rowInit = null)
    {
        if (UseNarrowProducts)
        {
            MultiplyRows256(m, n, k, a, rowStride, colStride, b, c, rowInit);
            return;
        }
        const int lanes = 16;
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            float* a0 = a + (long)i * rowStride;
            int j = 0;
            for (; j + 2 * lanes <= n; j += 2 * lanes)
            {
                // Scalar math: c[i+r, j+q] = Σ_p a(i+r, p)·b[p, j+q], r < 4, q < 32: eight accumulators.
                Vector512<float> c00 = default, c10 = default, c20 = default, c30 = default;
                if (rowInit != null)
                {
                    c00 = Vector512.Create(rowInit[i]); c10 = Vector512.Create(rowInit[i + 1]);
                    c20 = Vector512.Create(rowInit[i + 2]); c30 = Vector512.Create(rowInit[i + 3]);
                }
                Vector512<float> c01 = c00, c11 = c10, c21 = c20, c31 = c30;
                float* bp = b + j;
                float* ap = a0;
                for (int p = 0; p < k; p++, bp += n, ap += colStride)
                {
                    var b0 = Vector512.Load(bp);
                    var b1 = Vector512.Load(bp + lanes);
                    var w = Vector512.Create(ap[0]);
                    c00 = Vector512.FusedMultiplyAdd(w, b0, c00); c01 = Vector512.FusedMultiplyAdd(w, b1, c01);
                    w = Vector512.Create(ap[rowStride]);
                    c10 = Vector512.FusedMultiplyAdd(w, b0, c10); c11 = Vector512.FusedMultiplyAdd(w, b1, c11);
                    w = Vector512.Create(ap[2 * rowStride]);
                    c20 = Vector512.FusedMultiplyAdd(w, b0, c20); c21 = Vector512.FusedMultiplyAdd(w, b1, c21);
                    w = Vector512.Create(ap[3 * rowStride]);
                    c30 = Vector512.FusedMultiplyAdd(w, b0, c30); c31 = Vector512.FusedMultiplyAdd(w, b1, c31);
                }
                float* cp = c + (long)i * n + j;
                c00.Store(cp); c01.Store(cp + lanes);
                c10.Store(cp + n); c11.Store(cp + n + lanes);
                c20.Store(cp + 2 * n); c21.Store(cp + 2 * n + lanes);
                c30.Store(cp + 3 * n); c31.Store(cp + 3 * n + lanes);
            }
            for (; j + lanes <= n; j += lanes)
            {
                // A last 16 columns (n = 112 after im2col's padding): four rows, four independent chains
                // instead of one latency-bound chain per row.
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
                if (rowInit != null)
                {
                    c0 = Vector512.Create(rowInit[i]); c1 = Vector512.Create(rowInit[i + 1]);
                    c2 = Vector512.Create(rowInit[i + 2]); c3 = Vector512.Create(rowInit[i + 3]);
                }
                float* bp = b + j;
                float* ap = a0;
                for (int p = 0; p < k; p++, bp += n, ap += colStride)
                {
                    var b0 = Vector512.Load(bp);
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[0]), b0, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[rowStride]), b0, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[2 * rowStride]), b0, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[3 * rowStride]), b0, c3);
                }
                float* cp = c + (long)i * n + j;
                c0.Store(cp); c1.Store(cp + n); c2.Store(cp + 2 * n); c3.Store(cp + 3 * n);
            }
            for (int r = 0; r < 4; r++)
                MultiplyRowTail(j, n, k, a0 + (long)r * rowStride, colStride, b, c + (long)(i + r) * n, rowInit == null ? 0 : rowInit[i + r]);
        }
        for (; i < m; i++) MultiplyRowTail(0, n, k, a + (long)i * rowStride, colStride, b, c + (long)i * n, rowInit == null ? 0 : rowInit[i]);
    }

    /// <summary>One row of <see cref="MultiplyRows"/> from column <paramref name="j"/> on: 16 lanes at a time, then scalar.</summary>
    private static void MultiplyRowTail(int j, int n, int k, float* a, int colStride, float* b, float* c, float init)
    {
        // Four independent accumulators hide the FMA latency that a single chain would expose.
        for (; j + 64 <= n; j += 64)
        {
            Vector512<float> c0 = Vector512.Create(init), c1 = c0, c2 = c0, c3 = c0;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var w = Vector512.Create(a[(long)p * colStride]);
                c0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(bp), c0);
                c1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(bp + 16), c1);
                c2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(bp + 32), c2);
                c3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(bp + 48), c3);
            }
            c0.Store(c + j); c1.Store(c + j + 16); c2.Store(c + j + 32); c3.Store(c + j + 48);
        }
        for (; j + 16 <= n; j += 16)
        {
            Vector512<float> acc = Vector512.Create(init);
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n) acc = Vector512.FusedMultiplyAdd(Vector512.Create(a[(long)p * colStride]), Vector512.Load(bp), acc);
            acc.Store(c + j);
        }
        for (; j < n; j++)
        {
            float sum = init;
            for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(a[(long)p * colStride], b[(long)p * n + j], sum);
            c[j] = sum;
        }
    }

    /// <summary>
    /// C[i, j] (+)= Σ_p A[i, p] · B[j, p] for i &lt; m, j &lt; n: A row-major [m, k], B row-major [n, k]
    /// (both read along contiguous rows), C row-major [m, n]; added to C when <paramref name="accumulate"/>.
    /// </summary>
    internal static void MultiplyTransposed(int m, int n, int k, float* a, float* b, float* c, bool accumulate)
    {
        if (UseNarrowProducts)
        {
            MultiplyTransposed256(m, n, k, a, b, c, accumulate);
            return;
        }
        for (int i = 0; i < m; i++)
        {
            float* ai = a + (long)i * k;
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                float* b0 = b + (long)j * k;
                // Scalar math: c[i, j+q] = Σ_p a[i, p]·b[j+q, p], q < 4: four dot products side by side.
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                int p = 0;
                for (; p + 16 <= k; p += 16)
                {
                    var av = Vector512.Load(ai + p);
                    s0 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + p), s0);
                    s1 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + k + p), s1);
                    s2 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + 2 * k + p), s2);
                    s3 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + 3 * k + p), s3);
                }
                float d0 = Vector512.Sum(s0), d1 = Vector512.Sum(s1), d2 = Vector512.Sum(s2), d3 = Vector512.Sum(s3);
                for (; p < k; p++)
                {
                    float av = ai[p];
                    d0 += av * b0[p]; d1 += av * b0[k + p]; d2 += av * b0[2 * k + p]; d3 += av * b0[3 * k + p];
                }
                Store(c + (long)i * n + j, d0, accumulate);
                Store(c + (long)i * n + j + 1, d1, accumulate);
                Store(c + (long)i * n + j + 2, d2, accumulate);
                Store(c + (long)i * n + j + 3, d3, accumulate);
            }
            for (; j < n; j++)
            {
                float* bj = b + (long)j * k;
                Vector512<float> s = default;
                int p = 0;
                for (; p + 16 <= k; p += 16) s = Vector512.FusedMultiplyAdd(Vector512.Load(ai + p), Vector512.Load(bj + p), s);
                float d = Vector512.Sum(s);
                for (; p < k; p++) d += ai[p] * bj[p];
                Store(c + (long)i * n + j, d, accumulate);
            }
        }
    }

    /// <summary>
    /// acc[(i·n + j)·16 + l] += Σ_q A[i, 16q + l] · B[j, 16q + l] for i &lt; m, j &lt; n, l &lt; 16, with k a multiple of 16:
    /// the dot products of <see cref="MultiplyTransposed"/> kept as 16 lane sums, so that the horizontal
    /// reduction is paid once per chunk of images (<see cref="ReduceLanes"/>) instead of once per image.
    /// </summary>
    internal static void AccumulateLanes(int m, int n, int k, float* a, float* b, float* acc)
    {
        if (UseNarrowProducts)
        {
            AccumulateLanes256(m, n, k, a, b, acc);
            return;
        }
        int i = 0;
        for (; i + 2 <= m; i += 2)
        {
            // Two rows of A against four rows of B: 8 FMAs per 6 loads instead of 4 per 5.
            float* a0 = a + (long)i * k, a1 = a0 + k;
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                float* b0 = b + (long)j * k;
                float* t0 = acc + ((long)i * n + j) * 16, t1 = t0 + (long)n * 16;
                var s00 = Vector512.Load(t0); var s01 = Vector512.Load(t0 + 16);
                var s02 = Vector512.Load(t0 + 32); var s03 = Vector512.Load(t0 + 48);
                var s10 = Vector512.Load(t1); var s11 = Vector512.Load(t1 + 16);
                var s12 = Vector512.Load(t1 + 32); var s13 = Vector512.Load(t1 + 48);
                for (int p = 0; p < k; p += 16)
                {
                    var x0 = Vector512.Load(a0 + p);
                    var x1 = Vector512.Load(a1 + p);
                    var y = Vector512.Load(b0 + p);
                    s00 = Vector512.FusedMultiplyAdd(x0, y, s00); s10 = Vector512.FusedMultiplyAdd(x1, y, s10);
                    y = Vector512.Load(b0 + k + p);
                    s01 = Vector512.FusedMultiplyAdd(x0, y, s01); s11 = Vector512.FusedMultiplyAdd(x1, y, s11);
                    y = Vector512.Load(b0 + 2 * k + p);
                    s02 = Vector512.FusedMultiplyAdd(x0, y, s02); s12 = Vector512.FusedMultiplyAdd(x1, y, s12);
                    y = Vector512.Load(b0 + 3 * k + p);
                    s03 = Vector512.FusedMultiplyAdd(x0, y, s03); s13 = Vector512.FusedMultiplyAdd(x1, y, s13);
                }
                s00.Store(t0); s01.Store(t0 + 16); s02.Store(t0 + 32); s03.Store(t0 + 48);
                s10.Store(t1); s11.Store(t1 + 16); s12.Store(t1 + 32); s13.Store(t1 + 48);
            }
            if (j < n)
            {
                AccumulateLanesRow(j, n, k, a0, b, acc + (long)i * n * 16);
                AccumulateLanesRow(j, n, k, a1, b, acc + (long)(i + 1) * n * 16);
            }
        }
        for (; i < m; i++) AccumulateLanesRow(0, n, k, a + (long)i * k, b, acc + (long)i * n * 16);
    }

    /// <summary>One row of <see cref="AccumulateLanes"/> from column <paramref name="j"/> on; <paramref name="acc"/> points at the row.</summary>
    private static void AccumulateLanesRow(int j, int n, int k, float* ai, float* b, float* acc)
    {
        for (; j + 4 <= n; j += 4)
        {
            float* b0 = b + (long)j * k;
            float* t = acc + (long)j * 16;
            var s0 = Vector512.Load(t);
            var s1 = Vector512.Load(t + 16);
            var s2 = Vector512.Load(t + 32);
            var s3 = Vector512.Load(t + 48);
            for (int p = 0; p < k; p += 16)
            {
                var av = Vector512.Load(ai + p);
                s0 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + p), s0);
                s1 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + k + p), s1);
                s2 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + 2 * k + p), s2);
                s3 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + 3 * k + p), s3);
            }
            s0.Store(t); s1.Store(t + 16); s2.Store(t + 32); s3.Store(t + 48);
        }
        for (; j < n; j++)
        {
            float* bj = b + (long)j * k;
            float* t = acc + (long)j * 16;
            var s = Vector512.Load(t);
            for (int p = 0; p < k; p += 16) s = Vector512.FusedMultiplyAdd(Vector512.Load(ai + p), Vector512.Load(bj + p), s);
            s.Store(t);
        }
    }

    /// <summary>Sums each group of 16 lanes written by <see cref="AccumulateLanes"/>, in place: acc[e] = Σ_l acc[16e + l].</summary>
    internal static void ReduceLanes(int count, float* acc)
    {
        if (UseNarrowProducts)
        {
            ReduceLanes256(count, acc);
            return;
        }
        // Element e reads 16e … 16e+15 ≥ e, which no earlier element has overwritten.
        for (int e = 0; e < count; e++) acc[e] = Vector512.Sum(Vector512.Load(acc + 16L * e));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* target, float value, bool accumulate) => *target = accumulate ? *target + value : value;

    /// <summary>Whether the register-blocked products above run on this machine (else <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)">Gemm.Sgemm</see>).</summary>
    private static bool UseDirectProducts => Vector512.IsHardwareAccelerated || UseNarrowProducts;

    /// <summary>Whether the weight gradient keeps 16 lane sums per weight across a chunk (k = the column stride,
    /// a multiple of 16 whenever im2col pads it; a pointwise convolution's H'·W' only when it is one).</summary>
    private static bool UsesLaneSums(in Conv2dGeometry g) => UseDirectProducts && !UsesChannelLanes(g) && ColumnStride(g) % 16 == 0;
}

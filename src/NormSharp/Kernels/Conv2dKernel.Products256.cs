using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // The AVX2 forms of the products in Conv2dKernel.Products.cs, for machines without AVX-512 (Zen 3): 8 lanes
    // per vector and 16 ymm registers instead of 32 zmm, so the tiles are re-blocked to at most 8–12
    // accumulators (two FMA pipes of 4 cycles' latency need 8 independent chains). Before these, such machines
    // ran every convolution through im2col + Gemm.Sgemm, whose packing dominated at LeNet's shapes
    // (conv2 forward 4.6 ms for 256 images against PyTorch's 1.8 ms). The lane-sum layouts keep their 16 slots
    // per weight (only the first 8 are used here; the rest stay 0), so workspace sizes and the reductions
    // are shared with the AVX-512 path.

    /// <summary>Whether the direct products run as the Vector256 forms below (AVX2 + FMA, no AVX-512).</summary>
    private static bool UseNarrowProducts => !Vector512.IsHardwareAccelerated && Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary><see cref="MultiplyRows"/> on 8-lane vectors: four rows × 16 columns (eight accumulators) at a time.</summary>
    private static void MultiplyRows256(int m, int n, int k, float* a, int rowStride, int colStride, float* b, float* c, float* rowInit)
    {
        const int lanes = 8;
        // Native-int strides: int ones cost a sign extension per broadcast and pointer step in the inner loop.
        nint rs = rowStride, rs2 = 2 * rs, rs3 = 3 * rs, cs = colStride, ldb = n;
        int i = 0;
        for (; i + 6 <= m; i += 6) MultiplySixRows256(n, k, a + (long)i * rowStride, rowStride, colStride, b, c + (long)i * n, rowInit == null ? null : rowInit + i);
        for (; i + 4 <= m; i += 4)
        {
            float* a0 = a + (long)i * rowStride;
            int j = 0;
            for (; j + 2 * lanes <= n; j += 2 * lanes)
            {
                // Scalar math: c[i+r, j+q] = Σ_p a(i+r, p)·b[p, j+q], r < 4, q < 16: eight accumulators.
                Vector256<float> c00 = default, c10 = default, c20 = default, c30 = default;
                if (rowInit != null)
                {
                    c00 = Vector256.Create(rowInit[i]); c10 = Vector256.Create(rowInit[i + 1]);
                    c20 = Vector256.Create(rowInit[i + 2]); c30 = Vector256.Create(rowInit[i + 3]);
                }
                Vector256<float> c01 = c00, c11 = c10, c21 = c20, c31 = c30;
                float* bp = b + j;
                float* ap = a0;
                for (int p = 0; p < k; p++, bp += ldb, ap += cs)
                {
                    var b0 = Vector256.Load(bp);
                    var b1 = Vector256.Load(bp + lanes);
                    var w = Vector256.Create(ap[0]);
                    c00 = Vector256.FusedMultiplyAdd(w, b0, c00); c01 = Vector256.FusedMultiplyAdd(w, b1, c01);
                    w = Vector256.Create(ap[rs]);
                    c10 = Vector256.FusedMultiplyAdd(w, b0, c10); c11 = Vector256.FusedMultiplyAdd(w, b1, c11);
                    w = Vector256.Create(ap[rs2]);
                    c20 = Vector256.FusedMultiplyAdd(w, b0, c20); c21 = Vector256.FusedMultiplyAdd(w, b1, c21);
                    w = Vector256.Create(ap[rs3]);
                    c30 = Vector256.FusedMultiplyAdd(w, b0, c30); c31 = Vector256.FusedMultiplyAdd(w, b1, c31);
                }
                float* cp = c + (long)i * n + j;
                c00.Store(cp); c01.Store(cp + lanes);
                c10.Store(cp + n); c11.Store(cp + n + lanes);
                c20.Store(cp + 2 * n); c21.Store(cp + 2 * n + lanes);
                c30.Store(cp + 3 * n); c31.Store(cp + 3 * n + lanes);
            }
            for (int r = 0; r < 4; r++)
                MultiplyRowTail256(j, n, k, a0 + (long)r * rowStride, colStride, b, c + (long)(i + r) * n, rowInit == null ? 0 : rowInit[i + r]);
        }
        for (; i < m; i++) MultiplyRowTail256(0, n, k, a + (long)i * rowStride, colStride, b, c + (long)i * n, rowInit == null ? 0 : rowInit[i]);
    }

    /// <summary>Six rows of <see cref="MultiplyRows256"/> (<paramref name="a"/>, <paramref name="c"/> and <paramref name="rowInit"/>
    /// at the first of them): twelve accumulators, two row loads and six broadcasts per twelve FMAs (the 4-row tile
    /// needs six loads per eight). The backward pass's Wᵀ · dy of LeNet's conv2 has 150 = 25 · 6 rows.</summary>
    private static void MultiplySixRows256(int n, int k, float* a, int rowStride, int colStride, float* b, float* c, float* rowInit)
    {
        nint rs = rowStride, cs = colStride, ldb = n;
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            // Scalar math: c[r, j+q] = init[r] + Σ_p a(r, p)·b[p, j+q], r < 6, q < 16.
            Vector256<float> c00 = default, c10 = default, c20 = default, c30 = default, c40 = default, c50 = default;
            if (rowInit != null)
            {
                c00 = Vector256.Create(rowInit[0]); c10 = Vector256.Create(rowInit[1]); c20 = Vector256.Create(rowInit[2]);
                c30 = Vector256.Create(rowInit[3]); c40 = Vector256.Create(rowInit[4]); c50 = Vector256.Create(rowInit[5]);
            }
            Vector256<float> c01 = c00, c11 = c10, c21 = c20, c31 = c30, c41 = c40, c51 = c50;
            float* bp = b + j;
            float* a0 = a, a3 = a + 3 * rs;
            for (int p = 0; p < k; p++, bp += ldb, a0 += cs, a3 += cs)
            {
                var b0 = Vector256.Load(bp);
                var b1 = Vector256.Load(bp + 8);
                var w = Vector256.Create(a0[0]);
                c00 = Vector256.FusedMultiplyAdd(w, b0, c00); c01 = Vector256.FusedMultiplyAdd(w, b1, c01);
                w = Vector256.Create(a0[rs]);
                c10 = Vector256.FusedMultiplyAdd(w, b0, c10); c11 = Vector256.FusedMultiplyAdd(w, b1, c11);
                w = Vector256.Create(a0[2 * rs]);
                c20 = Vector256.FusedMultiplyAdd(w, b0, c20); c21 = Vector256.FusedMultiplyAdd(w, b1, c21);
                w = Vector256.Create(a3[0]);
                c30 = Vector256.FusedMultiplyAdd(w, b0, c30); c31 = Vector256.FusedMultiplyAdd(w, b1, c31);
                w = Vector256.Create(a3[rs]);
                c40 = Vector256.FusedMultiplyAdd(w, b0, c40); c41 = Vector256.FusedMultiplyAdd(w, b1, c41);
                w = Vector256.Create(a3[2 * rs]);
                c50 = Vector256.FusedMultiplyAdd(w, b0, c50); c51 = Vector256.FusedMultiplyAdd(w, b1, c51);
            }
            float* cp = c + j;
            c00.Store(cp); c01.Store(cp + 8); cp += n;
            c10.Store(cp); c11.Store(cp + 8); cp += n;
            c20.Store(cp); c21.Store(cp + 8); cp += n;
            c30.Store(cp); c31.Store(cp + 8); cp += n;
            c40.Store(cp); c41.Store(cp + 8); cp += n;
            c50.Store(cp); c51.Store(cp + 8);
        }
        for (int r = 0; r < 6; r++)
            MultiplyRowTail256(j, n, k, a + (long)r * rowStride, colStride, b, c + (long)r * n, rowInit == null ? 0 : rowInit[r]);
    }

    /// <summary>One row of <see cref="MultiplyRows256"/> from column <paramref name="j"/> on: 32, then 8 lanes at a time, then scalar.</summary>
    private static void MultiplyRowTail256(int j, int n, int k, float* a, int colStride, float* b, float* c, float init)
    {
        nint cs = colStride, ldb = n;
        for (; j + 32 <= n; j += 32)
        {
            // Scalar math: c[j+q] = init + Σ_p a(p)·b[p, j+q], q < 32: four independent chains.
            Vector256<float> c0 = Vector256.Create(init), c1 = c0, c2 = c0, c3 = c0;
            float* bp = b + j, ap = a;
            for (int p = 0; p < k; p++, bp += ldb, ap += cs)
            {
                var w = Vector256.Create(*ap);
                c0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(bp), c0);
                c1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(bp + 8), c1);
                c2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(bp + 16), c2);
                c3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(bp + 24), c3);
            }
            c0.Store(c + j); c1.Store(c + j + 8); c2.Store(c + j + 16); c3.Store(c + j + 24);
        }
        for (; j + 8 <= n; j += 8)
        {
            Vector256<float> acc = Vector256.Create(init);
            float* bp = b + j, ap = a;
            for (int p = 0; p < k; p++, bp += ldb, ap += cs) acc = Vector256.FusedMultiplyAdd(Vector256.Create(*ap), Vector256.Load(bp), acc);
            acc.Store(c + j);
        }
        for (; j < n; j++)
        {
            float sum = init;
            for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(a[(long)p * colStride], b[(long)p * n + j], sum);
            c[j] = sum;
        }
    }

    /// <summary><see cref="MultiplyTransposed"/> on 8-lane vectors: four dot products side by side.</summary>
    private static void MultiplyTransposed256(int m, int n, int k, float* a, float* b, float* c, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            float* ai = a + (long)i * k;
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                float* b0 = b + (long)j * k;
                // Scalar math: c[i, j+q] = Σ_p a[i, p]·b[j+q, p], q < 4.
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                int p = 0;
                for (; p + 8 <= k; p += 8)
                {
                    var av = Vector256.Load(ai + p);
                    s0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b0 + p), s0);
                    s1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b0 + k + p), s1);
                    s2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b0 + 2 * k + p), s2);
                    s3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b0 + 3 * k + p), s3);
                }
                float d0 = Vector256.Sum(s0), d1 = Vector256.Sum(s1), d2 = Vector256.Sum(s2), d3 = Vector256.Sum(s3);
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
                Vector256<float> s = default;
                int p = 0;
                for (; p + 8 <= k; p += 8) s = Vector256.FusedMultiplyAdd(Vector256.Load(ai + p), Vector256.Load(bj + p), s);
                float d = Vector256.Sum(s);
                for (; p < k; p++) d += ai[p] * bj[p];
                Store(c + (long)i * n + j, d, accumulate);
            }
        }
    }

    /// <summary><see cref="AccumulateLanes"/> on 8-lane vectors: acc[(i·n + j)·16 + l] += Σ_q A[i, 8q + l] · B[j, 8q + l]
    /// for l &lt; 8 (slots 8 … 15 untouched), k a multiple of 8.</summary>
    private static void AccumulateLanes256(int m, int n, int k, float* a, float* b, float* acc)
    {
        int i = 0;
        for (; i + 2 <= m; i += 2)
        {
            float* a0 = a + (long)i * k, a1 = a0 + k;
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                float* b0 = b + (long)j * k;
                float* t0 = acc + ((long)i * n + j) * 16, t1 = t0 + (long)n * 16;
                // Scalar math: acc[i+r, j+q, l] += Σ_p a[i+r, 8p+l]·b[j+q, 8p+l], r < 2, q < 4.
                var s00 = Vector256.Load(t0); var s01 = Vector256.Load(t0 + 16);
                var s02 = Vector256.Load(t0 + 32); var s03 = Vector256.Load(t0 + 48);
                var s10 = Vector256.Load(t1); var s11 = Vector256.Load(t1 + 16);
                var s12 = Vector256.Load(t1 + 32); var s13 = Vector256.Load(t1 + 48);
                for (int p = 0; p < k; p += 8)
                {
                    var x0 = Vector256.Load(a0 + p);
                    var x1 = Vector256.Load(a1 + p);
                    var y = Vector256.Load(b0 + p);
                    s00 = Vector256.FusedMultiplyAdd(x0, y, s00); s10 = Vector256.FusedMultiplyAdd(x1, y, s10);
                    y = Vector256.Load(b0 + k + p);
                    s01 = Vector256.FusedMultiplyAdd(x0, y, s01); s11 = Vector256.FusedMultiplyAdd(x1, y, s11);
                    y = Vector256.Load(b0 + 2 * k + p);
                    s02 = Vector256.FusedMultiplyAdd(x0, y, s02); s12 = Vector256.FusedMultiplyAdd(x1, y, s12);
                    y = Vector256.Load(b0 + 3 * k + p);
                    s03 = Vector256.FusedMultiplyAdd(x0, y, s03); s13 = Vector256.FusedMultiplyAdd(x1, y, s13);
                }
                s00.Store(t0); s01.Store(t0 + 16); s02.Store(t0 + 32); s03.Store(t0 + 48);
                s10.Store(t1); s11.Store(t1 + 16); s12.Store(t1 + 32); s13.Store(t1 + 48);
            }
            if (j < n)
            {
                AccumulateLanesRow256(j, n, k, a0, b, acc + (long)i * n * 16);
                AccumulateLanesRow256(j, n, k, a1, b, acc + (long)(i + 1) * n * 16);
            }
        }
        for (; i < m; i++) AccumulateLanesRow256(0, n, k, a + (long)i * k, b, acc + (long)i * n * 16);
    }

    /// <summary>One row of <see cref="AccumulateLanes256"/> from column <paramref name="j"/> on.</summary>
    private static void AccumulateLanesRow256(int j, int n, int k, float* ai, float* b, float* acc)
    {
        for (; j < n; j++)
        {
            float* bj = b + (long)j * k;
            float* t = acc + (long)j * 16;
            // Two chains over alternate halves of the row, added before the store.
            Vector256<float> s = Vector256.Load(t), s1 = default;
            int p = 0;
            for (; p + 16 <= k; p += 16)
            {
                s = Vector256.FusedMultiplyAdd(Vector256.Load(ai + p), Vector256.Load(bj + p), s);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(ai + p + 8), Vector256.Load(bj + p + 8), s1);
            }
            if (p < k) s = Vector256.FusedMultiplyAdd(Vector256.Load(ai + p), Vector256.Load(bj + p), s);
            (s + s1).Store(t);
        }
    }

    /// <summary>Adds an 8-lane partial sum to the first 8 of a weight's 16 lane-sum slots.</summary>
    private static void AddTo(float* target, Vector256<float> value) => (Vector256.Load(target) + value).Store(target);

    /// <summary><see cref="ReduceLanes"/> without 512-bit vectors: acc[e] = Σ_l acc[16e + l], the two halves added
    /// first (slots 8 … 15 are 0 when the 8-lane forms filled them).</summary>
    private static void ReduceLanes256(int count, float* acc)
    {
        for (int e = 0; e < count; e++)
        {
            float* s = acc + 16L * e;
            acc[e] = Vector256.Sum(Vector256.Load(s) + Vector256.Load(s + 8));
        }
    }
}

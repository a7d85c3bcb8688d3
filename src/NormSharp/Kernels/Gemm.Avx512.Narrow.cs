using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// The AVX-512 kernel's narrow tiles, for the last panel of a block when it holds at most 24 columns: 12×24 (one zmm and
    /// one ymm per row), 12×16 and 12×8 (one ymm). Zen 4 runs a 512-bit FMA as two 256-bit halves: one per cycle against two
    /// 256-bit FMAs, so a tile's cost follows its width in 8-column steps, not in 16-column vectors. Measured at 1 thread
    /// (prepacked B, batch 500), the zero-padded last panels of 16 and 32 columns cost 1.9% of 784 → 500 (20 columns computed
    /// as 32), 4.2% of 300 → 200 (8 as 16) and 12% of 200 → 100 (4 as 16) against the same products' full-tile rate; with
    /// these tiles (same build, toggled, minima of 37–97 alternating runs) 784 → 500 took 3,688 µs instead of 3,726,
    /// 300 → 200 547 instead of 562, 200 → 100 190 instead of 205, 100 → 50 67 instead of 69, and the chain of the MLP's
    /// eight products 7.68–7.69 ms instead of 7.75–7.78 (the host was slow that hour). Per element each tile
    /// runs the fused multiply-adds of <see cref="Tile"/> in the same order, and ymm lanes round as zmm lanes do, so results
    /// do not depend on which tile computed them (tested).
    /// </summary>
    private readonly partial struct Avx512Kernel
    {
        public static int PanelWidth(int cols) => cols <= 8 ? 8 : cols <= 16 ? 16 : cols <= 24 ? 24 : 32;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void NarrowTile(int width, int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            if (width == 8) Tile8(kc, a, rs, ss, b, c, ldc, alpha, beta, bias, relu);
            else if (width == 16) Tile16(kc, a, rs, ss, b, c, ldc, alpha, beta, bias, relu);
            else Tile24(kc, a, rs, ss, b, c, ldc, alpha, beta, bias, relu);
        }

        /// <summary>12×24: 12 zmm and 12 ymm accumulators; the ymm half reuses the lower lanes of each row's broadcast.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile24(int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            float* a0 = a, a3 = a + 3 * rs, a6 = a + 6 * rs, a9 = a + 9 * rs;
            nint rs2 = 2 * rs;
            Vector512<float> c0 = default;
            Vector512<float> c1 = default;
            Vector512<float> c2 = default;
            Vector512<float> c3 = default;
            Vector512<float> c4 = default;
            Vector512<float> c5 = default;
            Vector512<float> c6 = default;
            Vector512<float> c7 = default;
            Vector512<float> c8 = default;
            Vector512<float> c9 = default;
            Vector512<float> c10 = default;
            Vector512<float> c11 = default;
            Vector256<float> d0 = default;
            Vector256<float> d1 = default;
            Vector256<float> d2 = default;
            Vector256<float> d3 = default;
            Vector256<float> d4 = default;
            Vector256<float> d5 = default;
            Vector256<float> d6 = default;
            Vector256<float> d7 = default;
            Vector256<float> d8 = default;
            Vector256<float> d9 = default;
            Vector256<float> d10 = default;
            Vector256<float> d11 = default;

            // Scalar math: c[i, j] += a[i·rs + p·ss] · b[p·24 + j] for i < 12, j < 24.
            for (int p = 0; p < kc; p++, a0 += ss, a3 += ss, a6 += ss, a9 += ss, b += 24)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector256.Load(b + 16);
                Vector512<float> ai;
                ai = Vector512.Create(a0[0]); c0 = Avx512F.FusedMultiplyAdd(ai, b0, c0); d0 = Fma.MultiplyAdd(ai.GetLower(), b1, d0);
                ai = Vector512.Create(a0[rs]); c1 = Avx512F.FusedMultiplyAdd(ai, b0, c1); d1 = Fma.MultiplyAdd(ai.GetLower(), b1, d1);
                ai = Vector512.Create(a0[rs2]); c2 = Avx512F.FusedMultiplyAdd(ai, b0, c2); d2 = Fma.MultiplyAdd(ai.GetLower(), b1, d2);
                ai = Vector512.Create(a3[0]); c3 = Avx512F.FusedMultiplyAdd(ai, b0, c3); d3 = Fma.MultiplyAdd(ai.GetLower(), b1, d3);
                ai = Vector512.Create(a3[rs]); c4 = Avx512F.FusedMultiplyAdd(ai, b0, c4); d4 = Fma.MultiplyAdd(ai.GetLower(), b1, d4);
                ai = Vector512.Create(a3[rs2]); c5 = Avx512F.FusedMultiplyAdd(ai, b0, c5); d5 = Fma.MultiplyAdd(ai.GetLower(), b1, d5);
                ai = Vector512.Create(a6[0]); c6 = Avx512F.FusedMultiplyAdd(ai, b0, c6); d6 = Fma.MultiplyAdd(ai.GetLower(), b1, d6);
                ai = Vector512.Create(a6[rs]); c7 = Avx512F.FusedMultiplyAdd(ai, b0, c7); d7 = Fma.MultiplyAdd(ai.GetLower(), b1, d7);
                ai = Vector512.Create(a6[rs2]); c8 = Avx512F.FusedMultiplyAdd(ai, b0, c8); d8 = Fma.MultiplyAdd(ai.GetLower(), b1, d8);
                ai = Vector512.Create(a9[0]); c9 = Avx512F.FusedMultiplyAdd(ai, b0, c9); d9 = Fma.MultiplyAdd(ai.GetLower(), b1, d9);
                ai = Vector512.Create(a9[rs]); c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10); d10 = Fma.MultiplyAdd(ai.GetLower(), b1, d10);
                ai = Vector512.Create(a9[rs2]); c11 = Avx512F.FusedMultiplyAdd(ai, b0, c11); d11 = Fma.MultiplyAdd(ai.GetLower(), b1, d11);
            }

            var e = new Epilogue512(alpha, beta, bias, relu, narrow: true);
            var eHi = new Epilogue256(alpha, beta, bias == null ? null : bias + 16, relu, narrow: true);
            Update(c + 0 * ldc, c0, d0, e, eHi);
            Update(c + 1 * ldc, c1, d1, e, eHi);
            Update(c + 2 * ldc, c2, d2, e, eHi);
            Update(c + 3 * ldc, c3, d3, e, eHi);
            Update(c + 4 * ldc, c4, d4, e, eHi);
            Update(c + 5 * ldc, c5, d5, e, eHi);
            Update(c + 6 * ldc, c6, d6, e, eHi);
            Update(c + 7 * ldc, c7, d7, e, eHi);
            Update(c + 8 * ldc, c8, d8, e, eHi);
            Update(c + 9 * ldc, c9, d9, e, eHi);
            Update(c + 10 * ldc, c10, d10, e, eHi);
            Update(c + 11 * ldc, c11, d11, e, eHi);
        }

        /// <summary>12×16: one zmm accumulator per row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile16(int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            float* a0 = a, a3 = a + 3 * rs, a6 = a + 6 * rs, a9 = a + 9 * rs;
            nint rs2 = 2 * rs;
            Vector512<float> c0 = default;
            Vector512<float> c1 = default;
            Vector512<float> c2 = default;
            Vector512<float> c3 = default;
            Vector512<float> c4 = default;
            Vector512<float> c5 = default;
            Vector512<float> c6 = default;
            Vector512<float> c7 = default;
            Vector512<float> c8 = default;
            Vector512<float> c9 = default;
            Vector512<float> c10 = default;
            Vector512<float> c11 = default;

            for (int p = 0; p < kc; p++, a0 += ss, a3 += ss, a6 += ss, a9 += ss, b += 16)
            {
                var b0 = Vector512.Load(b);
                c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[0]), b0, c0);
                c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[rs]), b0, c1);
                c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[rs2]), b0, c2);
                c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[0]), b0, c3);
                c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[rs]), b0, c4);
                c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[rs2]), b0, c5);
                c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a6[0]), b0, c6);
                c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a6[rs]), b0, c7);
                c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a6[rs2]), b0, c8);
                c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a9[0]), b0, c9);
                c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a9[rs]), b0, c10);
                c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a9[rs2]), b0, c11);
            }

            var e = new Epilogue512(alpha, beta, bias, relu, narrow: true);
            Update(c + 0 * ldc, c0, e);
            Update(c + 1 * ldc, c1, e);
            Update(c + 2 * ldc, c2, e);
            Update(c + 3 * ldc, c3, e);
            Update(c + 4 * ldc, c4, e);
            Update(c + 5 * ldc, c5, e);
            Update(c + 6 * ldc, c6, e);
            Update(c + 7 * ldc, c7, e);
            Update(c + 8 * ldc, c8, e);
            Update(c + 9 * ldc, c9, e);
            Update(c + 10 * ldc, c10, e);
            Update(c + 11 * ldc, c11, e);
        }

        /// <summary>12×8: one ymm accumulator per row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile8(int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            float* a0 = a, a3 = a + 3 * rs, a6 = a + 6 * rs, a9 = a + 9 * rs;
            nint rs2 = 2 * rs;
            Vector256<float> c0 = default;
            Vector256<float> c1 = default;
            Vector256<float> c2 = default;
            Vector256<float> c3 = default;
            Vector256<float> c4 = default;
            Vector256<float> c5 = default;
            Vector256<float> c6 = default;
            Vector256<float> c7 = default;
            Vector256<float> c8 = default;
            Vector256<float> c9 = default;
            Vector256<float> c10 = default;
            Vector256<float> c11 = default;

            for (int p = 0; p < kc; p++, a0 += ss, a3 += ss, a6 += ss, a9 += ss, b += 8)
            {
                var b0 = Vector256.Load(b);
                c0 = Fma.MultiplyAdd(Vector256.Create(a0[0]), b0, c0);
                c1 = Fma.MultiplyAdd(Vector256.Create(a0[rs]), b0, c1);
                c2 = Fma.MultiplyAdd(Vector256.Create(a0[rs2]), b0, c2);
                c3 = Fma.MultiplyAdd(Vector256.Create(a3[0]), b0, c3);
                c4 = Fma.MultiplyAdd(Vector256.Create(a3[rs]), b0, c4);
                c5 = Fma.MultiplyAdd(Vector256.Create(a3[rs2]), b0, c5);
                c6 = Fma.MultiplyAdd(Vector256.Create(a6[0]), b0, c6);
                c7 = Fma.MultiplyAdd(Vector256.Create(a6[rs]), b0, c7);
                c8 = Fma.MultiplyAdd(Vector256.Create(a6[rs2]), b0, c8);
                c9 = Fma.MultiplyAdd(Vector256.Create(a9[0]), b0, c9);
                c10 = Fma.MultiplyAdd(Vector256.Create(a9[rs]), b0, c10);
                c11 = Fma.MultiplyAdd(Vector256.Create(a9[rs2]), b0, c11);
            }

            var e = new Epilogue256(alpha, beta, bias, relu, narrow: true);
            Update(c + 0 * ldc, c0, e);
            Update(c + 1 * ldc, c1, e);
            Update(c + 2 * ldc, c2, e);
            Update(c + 3 * ldc, c3, e);
            Update(c + 4 * ldc, c4, e);
            Update(c + 5 * ldc, c5, e);
            Update(c + 6 * ldc, c6, e);
            Update(c + 7 * ldc, c7, e);
            Update(c + 8 * ldc, c8, e);
            Update(c + 9 * ldc, c9, e);
            Update(c + 10 * ldc, c10, e);
            Update(c + 11 * ldc, c11, e);
        }

        /// <summary>One row of a 24-wide tile: 16 lanes through the zmm epilogue, 8 through the ymm one (the same operations).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector512<float> lo, Vector256<float> hi, in Epilogue512 e, in Epilogue256 eHi)
        {
            Vector512.Store(e.Apply(lo, c, e.BiasLo), c);
            Vector256.Store(eHi.Apply(hi, c + 16, eHi.BiasLo), c + 16);
        }

        /// <summary>One row of a 16-wide tile.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector512<float> acc, in Epilogue512 e) => Vector512.Store(e.Apply(acc, c, e.BiasLo), c);

        /// <summary>One row of an 8-wide tile.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector256<float> acc, in Epilogue256 e) => Vector256.Store(e.Apply(acc, c, e.BiasLo), c);
    }
}

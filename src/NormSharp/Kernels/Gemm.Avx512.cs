using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// AVX-512 micro-kernel, 12×32 tile: 24 <see cref="Vector512{T}"/> accumulators (of 32 zmm registers)
    /// and per step of p two vector loads of B, twelve broadcasts of A and 24 fused multiply-adds — BLIS's
    /// Zen 4 shape (its 32×12 column-major kernel, transposed for row-major C). Zen 4 issues one 512-bit FMA
    /// per cycle (two 256-bit halves), so 24 independent chains hide the 4-cycle FMA latency.
    /// </summary>
    private readonly struct Avx512Kernel : IMicroKernel
    {
        public static int Mr => 12;
        public static int Nr => 32;
        public static int NarrowNr => 16;

        // AggressiveOptimization: the kernel is fully optimised from its first call, never run as tier-0
        // code (shared/PERF.md: 6–48 GFLOP/s while tier-0/OSR code runs, ~110 once optimised).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Tile(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector512<float> c0a = default, c0b = default;
            Vector512<float> c1a = default, c1b = default;
            Vector512<float> c2a = default, c2b = default;
            Vector512<float> c3a = default, c3b = default;
            Vector512<float> c4a = default, c4b = default;
            Vector512<float> c5a = default, c5b = default;
            Vector512<float> c6a = default, c6b = default;
            Vector512<float> c7a = default, c7b = default;
            Vector512<float> c8a = default, c8b = default;
            Vector512<float> c9a = default, c9b = default;
            Vector512<float> c10a = default, c10b = default;
            Vector512<float> c11a = default, c11b = default;

            // Scalar math: c[i, j] += a[p·12 + i] · b[p·32 + j] for i < 12, j < 32.
            for (int p = 0; p < kc; p++, a += 12, b += 32)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                Vector512<float> ai;
                ai = Vector512.Create(a[0]); c0a = Avx512F.FusedMultiplyAdd(ai, b0, c0a); c0b = Avx512F.FusedMultiplyAdd(ai, b1, c0b);
                ai = Vector512.Create(a[1]); c1a = Avx512F.FusedMultiplyAdd(ai, b0, c1a); c1b = Avx512F.FusedMultiplyAdd(ai, b1, c1b);
                ai = Vector512.Create(a[2]); c2a = Avx512F.FusedMultiplyAdd(ai, b0, c2a); c2b = Avx512F.FusedMultiplyAdd(ai, b1, c2b);
                ai = Vector512.Create(a[3]); c3a = Avx512F.FusedMultiplyAdd(ai, b0, c3a); c3b = Avx512F.FusedMultiplyAdd(ai, b1, c3b);
                ai = Vector512.Create(a[4]); c4a = Avx512F.FusedMultiplyAdd(ai, b0, c4a); c4b = Avx512F.FusedMultiplyAdd(ai, b1, c4b);
                ai = Vector512.Create(a[5]); c5a = Avx512F.FusedMultiplyAdd(ai, b0, c5a); c5b = Avx512F.FusedMultiplyAdd(ai, b1, c5b);
                ai = Vector512.Create(a[6]); c6a = Avx512F.FusedMultiplyAdd(ai, b0, c6a); c6b = Avx512F.FusedMultiplyAdd(ai, b1, c6b);
                ai = Vector512.Create(a[7]); c7a = Avx512F.FusedMultiplyAdd(ai, b0, c7a); c7b = Avx512F.FusedMultiplyAdd(ai, b1, c7b);
                ai = Vector512.Create(a[8]); c8a = Avx512F.FusedMultiplyAdd(ai, b0, c8a); c8b = Avx512F.FusedMultiplyAdd(ai, b1, c8b);
                ai = Vector512.Create(a[9]); c9a = Avx512F.FusedMultiplyAdd(ai, b0, c9a); c9b = Avx512F.FusedMultiplyAdd(ai, b1, c9b);
                ai = Vector512.Create(a[10]); c10a = Avx512F.FusedMultiplyAdd(ai, b0, c10a); c10b = Avx512F.FusedMultiplyAdd(ai, b1, c10b);
                ai = Vector512.Create(a[11]); c11a = Avx512F.FusedMultiplyAdd(ai, b0, c11a); c11b = Avx512F.FusedMultiplyAdd(ai, b1, c11b);
            }

            var va = Vector512.Create(alpha);
            Update(c, c0a, c0b, va, beta);
            Update(c + 1 * ldc, c1a, c1b, va, beta);
            Update(c + 2 * ldc, c2a, c2b, va, beta);
            Update(c + 3 * ldc, c3a, c3b, va, beta);
            Update(c + 4 * ldc, c4a, c4b, va, beta);
            Update(c + 5 * ldc, c5a, c5b, va, beta);
            Update(c + 6 * ldc, c6a, c6b, va, beta);
            Update(c + 7 * ldc, c7a, c7b, va, beta);
            Update(c + 8 * ldc, c8a, c8b, va, beta);
            Update(c + 9 * ldc, c9a, c9b, va, beta);
            Update(c + 10 * ldc, c10a, c10b, va, beta);
            Update(c + 11 * ldc, c11a, c11b, va, beta);
        }

        /// <summary>One row of the tile: c = α·acc + β·c (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, float beta)
        {
            if (beta == 0)
            {
                Vector512.Store(lo * alpha, c);
                Vector512.Store(hi * alpha, c + 16);
            }
            else if (beta == 1)
            {
                Vector512.Store(Avx512F.FusedMultiplyAdd(lo, alpha, Vector512.Load(c)), c);
                Vector512.Store(Avx512F.FusedMultiplyAdd(hi, alpha, Vector512.Load(c + 16)), c + 16);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Vector512.Store(Avx512F.FusedMultiplyAdd(lo, alpha, Vector512.Load(c) * vb), c);
                Vector512.Store(Avx512F.FusedMultiplyAdd(hi, alpha, Vector512.Load(c + 16) * vb), c + 16);
            }
        }

        /// <summary>The 12×16 variant for a last panel of at most 16 columns (half the work of a
        /// zero-padded full tile there). Per element, the same fused multiply-adds in the same order as
        /// <see cref="Tile"/>, so results do not depend on which of the two computed them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void NarrowTile(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
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

            for (int p = 0; p < kc; p++, a += 12, b += 16)
            {
                var b0 = Vector512.Load(b);
                c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
                c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
                c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
                c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
                c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
                c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
                c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
                c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
                c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c8);
                c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c9);
                c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b0, c10);
                c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b0, c11);
            }

            var va = Vector512.Create(alpha);
            Update(c, c0, va, beta);
            Update(c + 1 * ldc, c1, va, beta);
            Update(c + 2 * ldc, c2, va, beta);
            Update(c + 3 * ldc, c3, va, beta);
            Update(c + 4 * ldc, c4, va, beta);
            Update(c + 5 * ldc, c5, va, beta);
            Update(c + 6 * ldc, c6, va, beta);
            Update(c + 7 * ldc, c7, va, beta);
            Update(c + 8 * ldc, c8, va, beta);
            Update(c + 9 * ldc, c9, va, beta);
            Update(c + 10 * ldc, c10, va, beta);
            Update(c + 11 * ldc, c11, va, beta);
        }

        /// <summary>One row of a narrow tile: c = α·acc + β·c (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector512<float> acc, Vector512<float> alpha, float beta)
        {
            if (beta == 0) Vector512.Store(acc * alpha, c);
            else if (beta == 1) Vector512.Store(Avx512F.FusedMultiplyAdd(acc, alpha, Vector512.Load(c)), c);
            else Vector512.Store(Avx512F.FusedMultiplyAdd(acc, alpha, Vector512.Load(c) * Vector512.Create(beta)), c);
        }
    }
}

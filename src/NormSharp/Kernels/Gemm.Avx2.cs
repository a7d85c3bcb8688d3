using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// AVX2 + FMA3 micro-kernel, 6×16 tile: 12 <see cref="Vector256{T}"/> accumulators of the 16 ymm
    /// registers, per step of p two vector loads of B, six broadcasts of A and 12 fused multiply-adds
    /// (the classic Haswell shape of BLIS and OpenBLAS). Used where AVX-512 is absent.
    /// </summary>
    private readonly struct Avx2Kernel : IMicroKernel
    {
        public static int Mr => 6;
        public static int Nr => 16;
        public static int NarrowNr => 8;

        // AggressiveOptimization: see Avx512Kernel.Tile.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Tile(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector256<float> c0a = default, c0b = default;
            Vector256<float> c1a = default, c1b = default;
            Vector256<float> c2a = default, c2b = default;
            Vector256<float> c3a = default, c3b = default;
            Vector256<float> c4a = default, c4b = default;
            Vector256<float> c5a = default, c5b = default;

            // Scalar math: c[i, j] += a[p·6 + i] · b[p·16 + j] for i < 6, j < 16.
            for (int p = 0; p < kc; p++, a += 6, b += 16)
            {
                var b0 = Vector256.Load(b);
                var b1 = Vector256.Load(b + 8);
                Vector256<float> ai;
                ai = Vector256.Create(a[0]); c0a = Fma.MultiplyAdd(ai, b0, c0a); c0b = Fma.MultiplyAdd(ai, b1, c0b);
                ai = Vector256.Create(a[1]); c1a = Fma.MultiplyAdd(ai, b0, c1a); c1b = Fma.MultiplyAdd(ai, b1, c1b);
                ai = Vector256.Create(a[2]); c2a = Fma.MultiplyAdd(ai, b0, c2a); c2b = Fma.MultiplyAdd(ai, b1, c2b);
                ai = Vector256.Create(a[3]); c3a = Fma.MultiplyAdd(ai, b0, c3a); c3b = Fma.MultiplyAdd(ai, b1, c3b);
                ai = Vector256.Create(a[4]); c4a = Fma.MultiplyAdd(ai, b0, c4a); c4b = Fma.MultiplyAdd(ai, b1, c4b);
                ai = Vector256.Create(a[5]); c5a = Fma.MultiplyAdd(ai, b0, c5a); c5b = Fma.MultiplyAdd(ai, b1, c5b);
            }

            var va = Vector256.Create(alpha);
            Update(c, c0a, c0b, va, beta);
            Update(c + 1 * ldc, c1a, c1b, va, beta);
            Update(c + 2 * ldc, c2a, c2b, va, beta);
            Update(c + 3 * ldc, c3a, c3b, va, beta);
            Update(c + 4 * ldc, c4a, c4b, va, beta);
            Update(c + 5 * ldc, c5a, c5b, va, beta);
        }

        /// <summary>One row of the tile: c = α·acc + β·c (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, float beta)
        {
            if (beta == 0)
            {
                Vector256.Store(lo * alpha, c);
                Vector256.Store(hi * alpha, c + 8);
            }
            else if (beta == 1)
            {
                Vector256.Store(Fma.MultiplyAdd(lo, alpha, Vector256.Load(c)), c);
                Vector256.Store(Fma.MultiplyAdd(hi, alpha, Vector256.Load(c + 8)), c + 8);
            }
            else
            {
                var vb = Vector256.Create(beta);
                Vector256.Store(Fma.MultiplyAdd(lo, alpha, Vector256.Load(c) * vb), c);
                Vector256.Store(Fma.MultiplyAdd(hi, alpha, Vector256.Load(c + 8) * vb), c + 8);
            }
        }

        /// <summary>The 6×8 variant for a last panel of at most 8 columns (half the work of a
        /// zero-padded full tile there). Per element, the same fused multiply-adds in the same order as
        /// <see cref="Tile"/>, so results do not depend on which of the two computed them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void NarrowTile(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector256<float> c0 = default;
            Vector256<float> c1 = default;
            Vector256<float> c2 = default;
            Vector256<float> c3 = default;
            Vector256<float> c4 = default;
            Vector256<float> c5 = default;

            for (int p = 0; p < kc; p++, a += 6, b += 8)
            {
                var b0 = Vector256.Load(b);
                c0 = Fma.MultiplyAdd(Vector256.Create(a[0]), b0, c0);
                c1 = Fma.MultiplyAdd(Vector256.Create(a[1]), b0, c1);
                c2 = Fma.MultiplyAdd(Vector256.Create(a[2]), b0, c2);
                c3 = Fma.MultiplyAdd(Vector256.Create(a[3]), b0, c3);
                c4 = Fma.MultiplyAdd(Vector256.Create(a[4]), b0, c4);
                c5 = Fma.MultiplyAdd(Vector256.Create(a[5]), b0, c5);
            }

            var va = Vector256.Create(alpha);
            Update(c, c0, va, beta);
            Update(c + 1 * ldc, c1, va, beta);
            Update(c + 2 * ldc, c2, va, beta);
            Update(c + 3 * ldc, c3, va, beta);
            Update(c + 4 * ldc, c4, va, beta);
            Update(c + 5 * ldc, c5, va, beta);
        }

        /// <summary>One row of a narrow tile: c = α·acc + β·c (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector256<float> acc, Vector256<float> alpha, float beta)
        {
            if (beta == 0) Vector256.Store(acc * alpha, c);
            else if (beta == 1) Vector256.Store(Fma.MultiplyAdd(acc, alpha, Vector256.Load(c)), c);
            else Vector256.Store(Fma.MultiplyAdd(acc, alpha, Vector256.Load(c) * Vector256.Create(beta)), c);
        }
    }
}

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
        public static int PanelWidth(int cols) => cols <= 8 ? 8 : 16;

        // AggressiveOptimization: see Avx512Kernel.Tile.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Tile(int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            // Row i of the A panel at a + i·rs, step p at + p·ss (see Avx512Kernel.Tile).
            float* a0 = a, a3 = a + 3 * rs;
            nint rs2 = 2 * rs;
            Vector256<float> c0a = default, c0b = default;
            Vector256<float> c1a = default, c1b = default;
            Vector256<float> c2a = default, c2b = default;
            Vector256<float> c3a = default, c3b = default;
            Vector256<float> c4a = default, c4b = default;
            Vector256<float> c5a = default, c5b = default;

            // Scalar math: c[i, j] += a[i·rs + p·ss] · b[p·16 + j] for i < 6, j < 16.
            for (int p = 0; p < kc; p++, a0 += ss, a3 += ss, b += 16)
            {
                var b0 = Vector256.Load(b);
                var b1 = Vector256.Load(b + 8);
                Vector256<float> ai;
                ai = Vector256.Create(a0[0]); c0a = Fma.MultiplyAdd(ai, b0, c0a); c0b = Fma.MultiplyAdd(ai, b1, c0b);
                ai = Vector256.Create(a0[rs]); c1a = Fma.MultiplyAdd(ai, b0, c1a); c1b = Fma.MultiplyAdd(ai, b1, c1b);
                ai = Vector256.Create(a0[rs2]); c2a = Fma.MultiplyAdd(ai, b0, c2a); c2b = Fma.MultiplyAdd(ai, b1, c2b);
                ai = Vector256.Create(a3[0]); c3a = Fma.MultiplyAdd(ai, b0, c3a); c3b = Fma.MultiplyAdd(ai, b1, c3b);
                ai = Vector256.Create(a3[rs]); c4a = Fma.MultiplyAdd(ai, b0, c4a); c4b = Fma.MultiplyAdd(ai, b1, c4b);
                ai = Vector256.Create(a3[rs2]); c5a = Fma.MultiplyAdd(ai, b0, c5a); c5b = Fma.MultiplyAdd(ai, b1, c5b);
            }

            var e = new Epilogue256(alpha, beta, bias, relu);
            Update(c, c0a, c0b, e);
            Update(c + 1 * ldc, c1a, c1b, e);
            Update(c + 2 * ldc, c2a, c2b, e);
            Update(c + 3 * ldc, c3a, c3b, e);
            Update(c + 4 * ldc, c4a, c4b, e);
            Update(c + 5 * ldc, c5a, c5b, e);
        }

        /// <summary>One row of the tile: c = act(α·acc + β·c + bias) (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector256<float> lo, Vector256<float> hi, in Epilogue256 e)
        {
            Vector256.Store(e.Apply(lo, c, e.BiasLo), c);
            Vector256.Store(e.Apply(hi, c + 8, e.BiasHi), c + 8);
        }

        /// <summary>The 6×8 variant for a last panel of at most 8 columns (half the work of a
        /// zero-padded full tile there; <paramref name="width"/> is always 8). Per element, the same fused multiply-adds in the same order as
        /// <see cref="Tile"/>, so results do not depend on which of the two computed them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void NarrowTile(int width, int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            // Row i of the A panel at a + i·rs, step p at + p·ss (see Avx512Kernel.Tile).
            float* a0 = a, a3 = a + 3 * rs;
            nint rs2 = 2 * rs;
            Vector256<float> c0 = default;
            Vector256<float> c1 = default;
            Vector256<float> c2 = default;
            Vector256<float> c3 = default;
            Vector256<float> c4 = default;
            Vector256<float> c5 = default;

            for (int p = 0; p < kc; p++, a0 += ss, a3 += ss, b += 8)
            {
                var b0 = Vector256.Load(b);
                c0 = Fma.MultiplyAdd(Vector256.Create(a0[0]), b0, c0);
                c1 = Fma.MultiplyAdd(Vector256.Create(a0[rs]), b0, c1);
                c2 = Fma.MultiplyAdd(Vector256.Create(a0[rs2]), b0, c2);
                c3 = Fma.MultiplyAdd(Vector256.Create(a3[0]), b0, c3);
                c4 = Fma.MultiplyAdd(Vector256.Create(a3[rs]), b0, c4);
                c5 = Fma.MultiplyAdd(Vector256.Create(a3[rs2]), b0, c5);
            }

            var e = new Epilogue256(alpha, beta, bias, relu, narrow: true);
            Update(c, c0, e);
            Update(c + 1 * ldc, c1, e);
            Update(c + 2 * ldc, c2, e);
            Update(c + 3 * ldc, c3, e);
            Update(c + 4 * ldc, c4, e);
            Update(c + 5 * ldc, c5, e);
        }

        /// <summary>One row of a narrow tile: c = act(α·acc + β·c + bias) (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector256<float> acc, in Epilogue256 e) => Vector256.Store(e.Apply(acc, c, e.BiasLo), c);
    }

    /// <summary>The store of an AVX2 tile row, c = act(α·acc + β·c + bias): the same operations as
    /// <see cref="Epilogue512"/> on 8 lanes.</summary>
    private readonly struct Epilogue256
    {
        private readonly Vector256<float> _alpha, _beta;
        private readonly float _betaScalar;
        private readonly bool _bias, _relu;
        public readonly Vector256<float> BiasLo, BiasHi;

        public Epilogue256(float alpha, float beta, float* bias, bool relu, bool narrow = false)
        {
            _alpha = Vector256.Create(alpha);
            _beta = Vector256.Create(beta);
            _betaScalar = beta;
            _bias = bias != null;
            _relu = relu;
            BiasLo = _bias ? Vector256.Load(bias) : default;
            BiasHi = _bias && !narrow ? Vector256.Load(bias + 8) : default;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Apply(Vector256<float> acc, float* c, Vector256<float> bias)
        {
            Vector256<float> v;
            if (_betaScalar == 0) v = _bias ? Fma.MultiplyAdd(acc, _alpha, bias) : acc * _alpha;
            else
            {
                var prior = _betaScalar == 1 ? Vector256.Load(c) : Vector256.Load(c) * _beta;
                v = Fma.MultiplyAdd(acc, _alpha, _bias ? prior + bias : prior);
            }
            if (_relu) v = default(Activations.ReluOp).Invoke(v);
            return v;
        }
    }
}

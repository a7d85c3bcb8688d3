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
    private readonly partial struct Avx512Kernel : IMicroKernel
    {
        public static int Mr => 12;
        public static int Nr => 32;

        // AggressiveOptimization: the kernel is fully optimised from its first call, never run as tier-0
        // code (shared/PERF.md: 6–48 GFLOP/s while tier-0/OSR code runs, ~110 once optimised).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Tile(int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            // Row i of the A panel at a + i·rs, step p at + p·ss: four row pointers and offsets rs, 2·rs
            // (x86 addressing [base + index·4]), whether A is packed (rs = 1, ss = 12) or read in place (rs = lda, ss = 1).
            float* a0 = a, a3 = a + 3 * rs, a6 = a + 6 * rs, a9 = a + 9 * rs;
            nint rs2 = 2 * rs;
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

            // Scalar math: c[i, j] += a[i·rs + p·ss] · b[p·32 + j] for i < 12, j < 32.
            for (int p = 0; p < kc; p++, a0 += ss, a3 += ss, a6 += ss, a9 += ss, b += 32)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                Vector512<float> ai;
                ai = Vector512.Create(a0[0]); c0a = Avx512F.FusedMultiplyAdd(ai, b0, c0a); c0b = Avx512F.FusedMultiplyAdd(ai, b1, c0b);
                ai = Vector512.Create(a0[rs]); c1a = Avx512F.FusedMultiplyAdd(ai, b0, c1a); c1b = Avx512F.FusedMultiplyAdd(ai, b1, c1b);
                ai = Vector512.Create(a0[rs2]); c2a = Avx512F.FusedMultiplyAdd(ai, b0, c2a); c2b = Avx512F.FusedMultiplyAdd(ai, b1, c2b);
                ai = Vector512.Create(a3[0]); c3a = Avx512F.FusedMultiplyAdd(ai, b0, c3a); c3b = Avx512F.FusedMultiplyAdd(ai, b1, c3b);
                ai = Vector512.Create(a3[rs]); c4a = Avx512F.FusedMultiplyAdd(ai, b0, c4a); c4b = Avx512F.FusedMultiplyAdd(ai, b1, c4b);
                ai = Vector512.Create(a3[rs2]); c5a = Avx512F.FusedMultiplyAdd(ai, b0, c5a); c5b = Avx512F.FusedMultiplyAdd(ai, b1, c5b);
                ai = Vector512.Create(a6[0]); c6a = Avx512F.FusedMultiplyAdd(ai, b0, c6a); c6b = Avx512F.FusedMultiplyAdd(ai, b1, c6b);
                ai = Vector512.Create(a6[rs]); c7a = Avx512F.FusedMultiplyAdd(ai, b0, c7a); c7b = Avx512F.FusedMultiplyAdd(ai, b1, c7b);
                ai = Vector512.Create(a6[rs2]); c8a = Avx512F.FusedMultiplyAdd(ai, b0, c8a); c8b = Avx512F.FusedMultiplyAdd(ai, b1, c8b);
                ai = Vector512.Create(a9[0]); c9a = Avx512F.FusedMultiplyAdd(ai, b0, c9a); c9b = Avx512F.FusedMultiplyAdd(ai, b1, c9b);
                ai = Vector512.Create(a9[rs]); c10a = Avx512F.FusedMultiplyAdd(ai, b0, c10a); c10b = Avx512F.FusedMultiplyAdd(ai, b1, c10b);
                ai = Vector512.Create(a9[rs2]); c11a = Avx512F.FusedMultiplyAdd(ai, b0, c11a); c11b = Avx512F.FusedMultiplyAdd(ai, b1, c11b);
            }

            var e = new Epilogue512(alpha, beta, bias, relu);
            Update(c, c0a, c0b, e);
            Update(c + 1 * ldc, c1a, c1b, e);
            Update(c + 2 * ldc, c2a, c2b, e);
            Update(c + 3 * ldc, c3a, c3b, e);
            Update(c + 4 * ldc, c4a, c4b, e);
            Update(c + 5 * ldc, c5a, c5b, e);
            Update(c + 6 * ldc, c6a, c6b, e);
            Update(c + 7 * ldc, c7a, c7b, e);
            Update(c + 8 * ldc, c8a, c8b, e);
            Update(c + 9 * ldc, c9a, c9b, e);
            Update(c + 10 * ldc, c10a, c10b, e);
            Update(c + 11 * ldc, c11a, c11b, e);
        }

        /// <summary>One row of the tile: c = act(α·acc + β·c + bias) (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, Vector512<float> lo, Vector512<float> hi, in Epilogue512 e)
        {
            Vector512.Store(e.Apply(lo, c, e.BiasLo), c);
            Vector512.Store(e.Apply(hi, c + 16, e.BiasHi), c + 16);
        }
    }

    /// <summary>
    /// The store of an AVX-512 tile row, c = act(α·acc + β·c + bias): β = 0 does not read c; the bias (one value per
    /// column, the first K block only) is loaded once per tile; ReLU (the last K block only) keeps NaN as
    /// <see cref="Activations.Relu"/> does. Without bias and activation the operations are the plain BLAS ones,
    /// and a bias with β = 0 is α·acc + bias in one fused multiply-add, exactly what a bias written into c before a
    /// β = 1 product gave.
    /// </summary>
    private readonly struct Epilogue512
    {
        private readonly Vector512<float> _alpha, _beta;
        private readonly float _betaScalar;
        private readonly bool _bias, _relu;
        public readonly Vector512<float> BiasLo, BiasHi;

        public Epilogue512(float alpha, float beta, float* bias, bool relu, bool narrow = false)
        {
            _alpha = Vector512.Create(alpha);
            _beta = Vector512.Create(beta);
            _betaScalar = beta;
            _bias = bias != null;
            _relu = relu;
            BiasLo = _bias ? Vector512.Load(bias) : default;
            BiasHi = _bias && !narrow ? Vector512.Load(bias + 16) : default;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Apply(Vector512<float> acc, float* c, Vector512<float> bias)
        {
            Vector512<float> v;
            if (_betaScalar == 0) v = _bias ? Avx512F.FusedMultiplyAdd(acc, _alpha, bias) : acc * _alpha;
            else
            {
                var prior = _betaScalar == 1 ? Vector512.Load(c) : Vector512.Load(c) * _beta;
                v = Avx512F.FusedMultiplyAdd(acc, _alpha, _bias ? prior + bias : prior);
            }
            if (_relu) v = default(Activations.ReluOp).Invoke(v);
            return v;
        }
    }
}

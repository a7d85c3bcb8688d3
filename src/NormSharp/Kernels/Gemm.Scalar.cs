using System.Runtime.CompilerServices;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Portable micro-kernel, 4×4 tile in 16 scalar accumulators: the fallback where neither AVX2+FMA
    /// nor AVX-512 is available. Products and sums round separately (no fused multiply-add, which would
    /// be emulated in software there).
    /// </summary>
    private readonly struct ScalarKernel : IMicroKernel
    {
        public static int Mr => 4;
        public static int Nr => 4;
        /// <summary>No narrower tile here: the 4-wide one serves every last panel.</summary>
        public static int PanelWidth(int cols) => 4;

        public static void NarrowTile(int width, int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
            => Tile(kc, a, rs, ss, b, c, ldc, alpha, beta, bias, relu);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Tile(int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu)
        {
            float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
            float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
            float c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            // Row i of the A panel at a + i·rs, step p at + p·ss.
            for (int p = 0; p < kc; p++, a += ss, b += 4)
            {
                float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
                float a0 = a[0], a1 = a[rs], a2 = a[2 * rs], a3 = a[3 * rs];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Update(c, c00, c01, c02, c03, alpha, beta);
            Update(c + ldc, c10, c11, c12, c13, alpha, beta);
            Update(c + 2 * ldc, c20, c21, c22, c23, alpha, beta);
            Update(c + 3 * ldc, c30, c31, c32, c33, alpha, beta);
            if (bias != null || relu)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                    {
                        float* v = c + i * ldc + j;
                        if (bias != null) *v += bias[j];
                        if (relu) *v = default(Activations.ReluOp).Invoke(*v);
                    }
        }

        /// <summary>One row of the tile: c = α·acc + β·c (c not read when β = 0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Update(float* c, float s0, float s1, float s2, float s3, float alpha, float beta)
        {
            if (beta == 0)
            {
                c[0] = alpha * s0; c[1] = alpha * s1; c[2] = alpha * s2; c[3] = alpha * s3;
            }
            else
            {
                c[0] = alpha * s0 + beta * c[0]; c[1] = alpha * s1 + beta * c[1];
                c[2] = alpha * s2 + beta * c[2]; c[3] = alpha * s3 + beta * c[3];
            }
        }
    }
}

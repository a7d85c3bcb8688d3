using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class Gemv
{
    /// <summary>
    /// The AVX2 rows (<see cref="RowKernel.Lanes8"/>): four rows share each pair of Vector256 loads of x, eight
    /// independent FMA chains in flight (Zen 3's two FMA pipes at 4 cycles' latency need eight). Per 16-column block of
    /// row i, lo_i += a[0..8)·x[0..8) and hi_i += a[8..16)·x[8..16); then y[i] = Σ lanes of (lo_i + hi_i), the last n mod 16
    /// products in order, and β·y[i]. A row alone does the same operations, so its bits do not depend on its group or chunk.
    /// Measured on the BN-folded 7-layer MLP's eight GEMVs (batch 1, 64-byte aligned weights, Zen 3, 1 thread, 300
    /// alternating rounds in one process): per row <c>TensorPrimitives.Dot</c> 83.8 µs min / 123.3 median, these rows
    /// 58.4 / 82.9, the Vector512 kernels' interleaved layout read by these halves 65.7 / 91.4 (so only Vector512 takes
    /// that layout). The whole folded MLP at batch 1 against ONNX Runtime (bench/compare.sh --only ort, min / median):
    /// 1 thread 0.85× / 0.75× before, 1.25× / 1.16× and 1.20× / 1.13× after; 2 threads 0.79–0.96× / 0.86–0.91× before,
    /// 1.31× / 1.09× and 1.26× / 1.22× after.
    /// </summary>
    private readonly struct Rows256(float* a, int lda, float* x, float beta, float* y, int n)
    {
        private readonly int _blocks = n / 16;

        public void FourRows(int row)
        {
            float* p0 = a + (nint)row * lda, p1 = p0 + lda, p2 = p1 + lda, p3 = p2 + lda;
            Vector256<float> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
            for (int j = 0; j < 16 * _blocks; j += 16)
            {
                var xl = Vector256.Load(x + j);
                var xh = Vector256.Load(x + j + 8);
                l0 = Vector256.FusedMultiplyAdd(Vector256.Load(p0 + j), xl, l0);
                h0 = Vector256.FusedMultiplyAdd(Vector256.Load(p0 + j + 8), xh, h0);
                l1 = Vector256.FusedMultiplyAdd(Vector256.Load(p1 + j), xl, l1);
                h1 = Vector256.FusedMultiplyAdd(Vector256.Load(p1 + j + 8), xh, h1);
                l2 = Vector256.FusedMultiplyAdd(Vector256.Load(p2 + j), xl, l2);
                h2 = Vector256.FusedMultiplyAdd(Vector256.Load(p2 + j + 8), xh, h2);
                l3 = Vector256.FusedMultiplyAdd(Vector256.Load(p3 + j), xl, l3);
                h3 = Vector256.FusedMultiplyAdd(Vector256.Load(p3 + j + 8), xh, h3);
            }
            Finish(row, Vector256.Sum(l0 + h0), p0);
            Finish(row + 1, Vector256.Sum(l1 + h1), p1);
            Finish(row + 2, Vector256.Sum(l2 + h2), p2);
            Finish(row + 3, Vector256.Sum(l3 + h3), p3);
        }

        public void OneRow(int row)
        {
            float* p = a + (nint)row * lda;
            Vector256<float> lo = default, hi = default;
            for (int j = 0; j < 16 * _blocks; j += 16)
            {
                lo = Vector256.FusedMultiplyAdd(Vector256.Load(p + j), Vector256.Load(x + j), lo);
                hi = Vector256.FusedMultiplyAdd(Vector256.Load(p + j + 8), Vector256.Load(x + j + 8), hi);
            }
            Finish(row, Vector256.Sum(lo + hi), p);
        }

        /// <summary>The last n mod 16 products of the row at <paramref name="p"/> in order, then y[row] = sum + β·y[row].</summary>
        private void Finish(int row, float sum, float* p)
        {
            for (int j = 16 * _blocks; j < n; j++) sum = MathF.FusedMultiplyAdd(p[j], x[j], sum);
            y[row] = beta == 0 ? sum : sum + beta * y[row];
        }
    }
}

namespace NormSharp.Kernels;

/// <summary>
/// The plain definition of single-precision GEMM, kept as the yardstick for <see cref="Gemm"/>:
/// C = α·op(A)·op(B) + β·C with op(X) = X or Xᵀ, row-major, leading dimensions in elements.
/// </summary>
public static class GemmReference
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                float prior = beta == 0 ? 0 : beta * c[i * ldc + j]; // β = 0 ignores C, even NaN (BLAS rule)
                c[i * ldc + j] = (float)(alpha * sum) + prior;
            }
    }

    /// <summary>C = act(α·op(A)·op(B) + β·C + bias): the plain product, then the per-column bias, then ReLU
    /// (NaN kept), the definition of <see cref="Gemm"/>'s epilogue overload.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, GemmActivation activation)
    {
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (!bias.IsEmpty)
                for (int j = 0; j < n; j++) row[j] += bias[j];
            if (activation == GemmActivation.Relu) ActivationReference.Relu(row, row);
        }
    }
}

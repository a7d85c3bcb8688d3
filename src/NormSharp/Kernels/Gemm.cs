namespace NormSharp.Kernels;

/// <summary>
/// Single-precision GEMM: C = α·op(A)·op(B) + β·C, row-major, every transpose combination.
/// </summary>
/// <remarks>Temporary straightforward implementation; replaced by the packed, register-blocked kernel.</remarks>
public static class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => GemmReference.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

namespace NormSharp.Kernels;

/// <summary>
/// Single-precision GEMM: C = α·op(A)·op(B) + β·C with op(X) = X or Xᵀ, row-major, leading dimensions in
/// elements, every transpose combination. As in BLAS, β = 0 means C is write-only (NaN or garbage in C is
/// ignored), and α = 0 or k = 0 leave C = β·C without reading A or B.
/// </summary>
/// <remarks>
/// <para>The classic Goto/BLIS design (Goto &amp; van de Geijn, "Anatomy of High-Performance Matrix
/// Multiplication", ACM TOMS 2008; BLIS's Zen 4 configuration): K is cut into KC-deep blocks, B into KC×NC
/// blocks packed into NR-wide panels, A into MC×KC blocks packed into MR-tall panels, and a register-blocked
/// micro-kernel computes each MR×NR tile of C from one A panel and one B panel (Gemm.Driver.cs,
/// Gemm.Packing.cs, Gemm.Transpose.cs). The micro-kernel is chosen once per process from the hardware:
/// AVX-512 12×32 (Gemm.Avx512.cs), AVX2+FMA 6×16 (Gemm.Avx2.cs) or scalar 4×4 (Gemm.Scalar.cs); the
/// vector ones have a half-width variant for a last panel of at most NR/2 columns. Edge tiles are computed
/// whole into a scratch tile from zero-padded panels.</para>
/// <para>Threads: C is cut along N (or M, whichever is larger) into one slice per thread of
/// <see cref="ParallelRunner"/>; K is never split. Every element of C is computed by the same sequence of
/// fused multiply-adds whatever the slicing, so results are bit-identical for any thread count and
/// repeated calls (Gemm.Parallel.cs).</para>
/// <para>Packing buffers live in a per-thread workspace allocated on the thread's first call (64-byte
/// aligned native memory, Gemm.Workspace.cs): later calls allocate nothing.</para>
/// </remarks>
public static unsafe partial class Gemm
{
    /// <summary>C = α·op(A)·op(B) + β·C on spans (see the class remarks).</summary>
    /// <param name="transA">Use Aᵀ: A is stored k×m (row-major) instead of m×k.</param>
    /// <param name="transB">Use Bᵀ: B is stored n×k instead of k×n.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A as stored (≥ its column count).</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of B as stored.</param>
    /// <param name="beta">Scale of the prior C; 0 ignores C entirely.</param>
    /// <param name="c">C (m×n), row-major with leading dimension <paramref name="ldc"/>; overwritten.</param>
    /// <param name="ldc">Distance between rows of C (≥ n).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or a leading dimension too small.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its matrix.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(Kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>C = α·op(A)·op(B) + β·C on raw pointers, for callers that already hold them (pinned
    /// tensors, workspaces). Same semantics as the span overload; sizes and null pointers are checked, lengths cannot be.</summary>
    /// <remarks>The pointed-to memory must stay valid and fixed for the call; it may be read by several
    /// threads at once. C must not overlap A or B.</remarks>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        CheckSizes(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (c == null) throw new ArgumentNullException(nameof(c));
        if (k > 0 && alpha != 0 && (a == null || b == null))
            throw new ArgumentNullException(a == null ? nameof(a) : nameof(b));
        Run(Kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>C = β·C, with β = 0 writing zeros (NaN in C does not survive, BLAS rule).</summary>
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (nint)i * ldc, n);
            if (beta == 0) row.Clear();
            else if (beta != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void CheckSizes(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, Math.Max(1, transA ? m : k));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, Math.Max(1, transB ? k : n));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, Math.Max(1, n));
    }

    private static void CheckLength(int length, int rows, int cols, int ld, string name)
    {
        if (rows == 0 || cols == 0) return;
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"{name} holds {length} floats but a {rows}×{cols} matrix with leading dimension {ld} needs {needed}", name);
    }
}

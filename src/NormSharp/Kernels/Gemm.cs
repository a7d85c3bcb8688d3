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
/// Gemm.Packing.cs, Gemm.Transpose.cs); an untransposed A is read in place by full MR-row panels (the micro-kernel
/// takes a row stride and a step stride, so packed and in-place panels run the same code and give the same bits).
/// An optional epilogue adds a per-column bias and applies ReLU in the tile stores. The micro-kernel is chosen once per process from the hardware:
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

    /// <summary>
    /// C = act(α·op(A)·op(B) + β·C + bias) with a per-column <paramref name="bias"/> (empty: none) and
    /// <paramref name="activation"/> applied in the micro-kernel's stores (a Dense layer's y = ReLU(x·Wᵀ + b) in one
    /// pass over y instead of a bias fill, a product and a ReLU pass). Otherwise as the plain overload.
    /// </summary>
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
    /// <param name="bias">n values added to every row of C, or empty.</param>
    /// <param name="activation">Applied last; <see cref="GemmActivation.Relu"/> keeps NaN, as <see cref="Activations.Relu"/>.</param>
    /// <remarks>With β = 0 a bias gives exactly the bits of writing the bias into C and calling the plain overload with
    /// β = 1 (one fused α·acc + bias), and ReLU exactly those of <see cref="Activations.Relu"/> on that result.</remarks>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, GemmActivation activation)
        => Sgemm(Kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, activation);

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

    /// <summary>Adds the bias to every row and applies the activation: the epilogue of a product with no terms.</summary>
    private static void ApplyEpilogue(int m, int n, float* c, int ldc, float* bias, bool relu)
    {
        if (bias == null && !relu) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (nint)i * ldc, n);
            if (bias != null) System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(bias, n), row);
            if (relu) Activations.Relu(row, row);
        }
    }

    private static void CheckEpilogue(int biasLength, int n, GemmActivation activation)
    {
        if (biasLength != 0 && biasLength != n)
            throw new ArgumentException($"bias holds {biasLength} floats, C has {n} columns (empty: no bias)", "bias");
        if (activation is not (GemmActivation.None or GemmActivation.Relu))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "expected None or Relu");
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

/// <summary>The activation <see cref="Gemm"/> can apply to C in its epilogue.</summary>
public enum GemmActivation
{
    /// <summary>C as computed.</summary>
    None,

    /// <summary>max(C, 0), NaN kept (as <see cref="Activations.Relu"/> and torch.relu).</summary>
    Relu,
}

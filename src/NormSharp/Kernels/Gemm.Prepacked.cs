namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Packs op(B) (k×n) once for repeated products (<see cref="GemmPackedB"/>), for this machine's micro-kernel.</summary>
    /// <param name="transB">B is stored n×k (a Dense layer's weight [out, in] for y = x·Wᵀ) instead of k×n.</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of B as stored.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or <paramref name="ldb"/> too small.</exception>
    /// <exception cref="ArgumentException"><paramref name="b"/> is shorter than its matrix.</exception>
    public static GemmPackedB PackB(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb) => PackB(Kernel, transB, k, n, b, ldb);

    /// <summary><see cref="PackB(bool, int, int, ReadOnlySpan{float}, int)"/> for an explicit micro-kernel (tests).</summary>
    internal static GemmPackedB PackB(MicroKernel kernel, bool transB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        if (!IsSupported(kernel)) throw new PlatformNotSupportedException($"GEMM micro-kernel {kernel} is not supported here");
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, Math.Max(1, transB ? k : n));
        CheckLength(b.Length, transB ? n : k, transB ? k : n, ldb, nameof(b));
        return kernel switch
        {
            MicroKernel.Avx512 => Pack<Avx512Kernel>(kernel, transB, k, n, b, ldb),
            MicroKernel.Avx2 => Pack<Avx2Kernel>(kernel, transB, k, n, b, ldb),
            _ => Pack<ScalarKernel>(kernel, transB, k, n, b, ldb),
        };
    }

    private static GemmPackedB Pack<TKernel>(MicroKernel kernel, bool transB, int k, int n, ReadOnlySpan<float> b, int ldb)
        where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Nr, panels = (n + nr - 1) / nr;
        var packed = new GemmPackedB(kernel, k, n, panels, nr);
        if (k == 0 || n == 0) return packed;
        int kBlocks = KBlocks(k);
        fixed (float* pb = b)
        {
            var problem = new Problem(false, transB, 0, n, k, 1f, null, 1, pb, ldb, 0f, null, Math.Max(1, n), null, false);
            // The K blocks of ComputeSlice, each block's panels over all n columns (jc = 0, nc = n).
            for (int block = 0; block < kBlocks; block++)
            {
                var (pc, kc) = KBlock(k, kBlocks, block);
                PackB<TKernel>(problem, pc, 0, kc, n, packed.Data + (nint)pc * panels * nr);
            }
        }
        return packed;
    }

    /// <summary>
    /// C = act(α·op(A)·B + β·C + bias) with B prepacked by <see cref="PackB(bool, int, int, ReadOnlySpan{float}, int)"/>:
    /// the same result, bit for bit, as the unpacked overloads on the B it was packed from, without packing B per call.
    /// </summary>
    /// <param name="transA">Use Aᵀ: A is stored k×m instead of m×k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of C: must equal <paramref name="b"/>'s <see cref="GemmPackedB.N"/>.</param>
    /// <param name="k">Columns of op(A): must equal <paramref name="b"/>'s <see cref="GemmPackedB.K"/>.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A as stored.</param>
    /// <param name="b">The packed B.</param>
    /// <param name="beta">Scale of the prior C; 0 ignores C entirely.</param>
    /// <param name="c">C (m×n), row-major with leading dimension <paramref name="ldc"/>; overwritten.</param>
    /// <param name="ldc">Distance between rows of C (≥ n).</param>
    /// <param name="bias">n values added to every row of C, or empty.</param>
    /// <param name="activation">Applied last (see the epilogue overload).</param>
    public static void Sgemm(bool transA, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, GemmPackedB b,
        float beta, Span<float> c, int ldc, ReadOnlySpan<float> bias = default, GemmActivation activation = GemmActivation.None)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.K != k || b.N != n)
            throw new ArgumentException($"the packed B is {b.K}×{b.N}, the product needs {k}×{n}", nameof(b));
        CheckSizes(transA, false, m, n, k, lda, Math.Max(1, n), ldc);
        if (m == 0 || n == 0) return;
        if (k > 0 && alpha != 0) CheckLength(a.Length, transA ? k : m, transA ? m : k, lda, nameof(a));
        CheckLength(c.Length, m, n, ldc, nameof(c));
        CheckEpilogue(bias.Length, n, activation);
        fixed (float* pa = a)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
            Run(b.Kernel, transA, false, m, n, k, alpha, pa, lda, null, Math.Max(1, n), beta, pc, ldc,
                bias.IsEmpty ? null : pbias, activation == GemmActivation.Relu, b);
        GC.KeepAlive(b);
    }
}

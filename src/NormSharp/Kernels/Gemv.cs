using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Single-precision matrix-vector product for one row of input: y = A·x + β·y with A [m, n] row-major
/// (leading dimension <c>lda</c>), x [n], y [m]. A Dense layer's weight W [out, in] is exactly this A, so a
/// batch of one needs no transpose: every output is one contiguous dot product.
/// </summary>
/// <remarks>
/// <para>Why not <see cref="Gemm"/> with m = 1: the GEMM packs all of B (here the whole weight matrix) into
/// panels on every call and runs a 12-row micro-kernel for one useful row, so a batch of one did ~12× the work
/// and an extra pass over the weights (measured: Dense 784 → 500 at batch 1, 164 µs through GEMM against 27 µs
/// in ONNX Runtime's MLAS). A GEMV is bound by reading A once: with AVX-512, four rows at a time against each
/// 16-lane load of x (Vector512 FMAs, one accumulator per row); with AVX2 alone, the same on two Vector256 halves (two
/// accumulators per row, Gemv.Rows256.cs); elsewhere
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> per row.</para>
/// <para>Threads: the rows are cut into one equal chunk per thread (each at least
/// <see cref="Grain"/> multiply-adds); every output is one dot product whatever the chunking, so results
/// do not depend on the thread count. They may differ from a GEMM's in the last bits (another summation order).</para>
/// </remarks>
public static unsafe partial class Gemv
{
    /// <summary>Multiply-adds per chunk below which one thread does the whole product (~1.5 µs of work, about twice a
    /// worker's hand-off): the 7-layer MLP's 400 → 300 layer at batch 1 then splits over two threads (batch-1 inference
    /// of the MLP, 2 threads, 0.029–0.030 ms against 0.032 ms with twice this grain).</summary>
    public const long Grain = 1L << 15;

    /// <summary>y = A·x + β·y; β = 0 ignores y (NaN in y does not survive, BLAS rule).</summary>
    /// <param name="m">Rows of A, length of y.</param>
    /// <param name="n">Columns of A, length of x.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A (≥ n).</param>
    /// <param name="x">The vector, n elements.</param>
    /// <param name="beta">Scale of the prior y.</param>
    /// <param name="y">The result, m elements; overwritten.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or <paramref name="lda"/> too small.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its matrix or vector.</exception>
    public static void Sgemv(int m, int n, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> x, float beta, Span<float> y)
        => Sgemv(DefaultKernel, m, n, a, lda, x, beta, y);

    /// <summary>The widest row kernel here (<see cref="SgemvInterleaved"/> gives the bits of <see cref="RowKernel.Lanes16"/>).</summary>
    internal static RowKernel DefaultKernel { get; } =
        Vector512.IsHardwareAccelerated ? RowKernel.Lanes16 : Vector256.IsHardwareAccelerated ? RowKernel.Lanes8 : RowKernel.Dot;

    /// <summary>How the rows are multiplied.</summary>
    internal enum RowKernel
    {
        /// <summary><see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> per row.</summary>
        Dot,
        /// <summary>Four rows at a time, per 16 columns two Vector256 FMAs into two accumulators per row (Gemv.Rows256.cs).</summary>
        Lanes8,
        /// <summary>Four rows at a time, per 16 columns one Vector512 FMA into one accumulator per row.</summary>
        Lanes16,
    }

    /// <summary>Whether <paramref name="kernel"/> runs here.</summary>
    internal static bool IsSupported(RowKernel kernel) => kernel switch
    {
        RowKernel.Lanes16 => Vector512.IsHardwareAccelerated,
        RowKernel.Lanes8 => Vector256.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>The same with the row kernel chosen (tests run every one this machine supports).</summary>
    internal static void Sgemv(RowKernel kernel, int m, int n, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        if (!IsSupported(kernel)) throw new PlatformNotSupportedException($"the GEMV row kernel {kernel} is not accelerated here");
        CheckMatrix(m, n, a.Length, lda);
        CheckVectors(m, n, x.Length, y.Length);
        if (m == 0) return;
        fixed (float* pa = a)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var body = new Rows(m, n, pa, lda, px, beta, py, ChunkCount((long)m * n), kernel);
            if (body.Chunks == 1) body.Execute(0);
            else ParallelRunner.ForPinned(body.Chunks, body); // each core keeps its rows of the weights in L2
        }
    }

    /// <summary>Sizes and a row-major m×n matrix of <paramref name="length"/> floats with leading dimension lda.</summary>
    private static void CheckMatrix(int m, int n, int length, int lda)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, Math.Max(1, n));
        if (m > 0 && n > 0 && length < (long)(m - 1) * lda + n)
            throw new ArgumentException($"a holds {length} floats but a {m}×{n} matrix with leading dimension {lda} needs {(long)(m - 1) * lda + n}", "a");
    }

    /// <summary>x of at least n and y of at least m floats.</summary>
    private static void CheckVectors(int m, int n, int xLength, int yLength)
    {
        if (xLength < n) throw new ArgumentException($"x holds {xLength} floats, needs {n}", "x");
        if (yLength < m) throw new ArgumentException($"y holds {yLength} floats, needs {m}", "y");
    }

    /// <summary>One chunk per thread once every chunk holds at least <see cref="Grain"/> multiply-adds. Equal chunks,
    /// no more than threads: the product is a few µs of streaming, so a third chunk on one of two threads (what a
    /// finer split gave 784 → 500) made that thread's half take 3/5 of the serial time instead of 1/2.</summary>
    private static int ChunkCount(long work) => (int)Math.Clamp(work / Grain, 1, ParallelRunner.Threads);

    /// <summary>Chunk c computes rows [m·c/chunks, m·(c+1)/chunks).</summary>
    private readonly struct Rows(int m, int n, float* a, int lda, float* x, float beta, float* y, int chunks, RowKernel kernel) : IChunkBody
    {
        public int Chunks { get; } = chunks;

        public void Execute(int chunk)
        {
            int start = (int)((long)m * chunk / Chunks), end = (int)((long)m * (chunk + 1) / Chunks);
            if (kernel == RowKernel.Lanes8)
            {
                var body = new Rows256(a, lda, x, beta, y, n);
                int r = start;
                for (; r + 4 <= end; r += 4) body.FourRows(r);
                for (; r < end; r++) body.OneRow(r);
                return;
            }
            if (kernel == RowKernel.Dot)
            {
                var xs = new ReadOnlySpan<float>(x, n);
                for (int i = start; i < end; i++)
                {
                    // Scalar math: y[i] = Σ_j a[i,j]·x[j] + β·y[i]
                    float dot = n == 0 ? 0f : TensorPrimitives.Dot(new ReadOnlySpan<float>(a + (nint)i * lda, n), xs);
                    y[i] = beta == 0 ? dot : dot + beta * y[i];
                }
                return;
            }
            int row = start;
            for (; row + 4 <= end; row += 4) FourRows(row);
            for (; row < end; row++) OneRow(row);
        }

        // Four rows share each load of x and keep four independent FMA chains in flight; every row sees exactly
        // the operations OneRow does (one accumulator, lanes summed, then the scalar tail in order), so a row's
        // result does not depend on which group or chunk it falls in.
        private void FourRows(int row)
        {
            float* a0 = a + (nint)row * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            int j = 0;
            for (; j + 16 <= n; j += 16)
            {
                var xv = Vector512.Load(x + j);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a0 + j), xv, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a1 + j), xv, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a2 + j), xv, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a3 + j), xv, s3);
            }
            Finish(row, Vector512.Sum(s0), a0, j);
            Finish(row + 1, Vector512.Sum(s1), a1, j);
            Finish(row + 2, Vector512.Sum(s2), a2, j);
            Finish(row + 3, Vector512.Sum(s3), a3, j);
        }

        private void OneRow(int row)
        {
            float* a0 = a + (nint)row * lda;
            Vector512<float> s0 = default;
            int j = 0;
            for (; j + 16 <= n; j += 16) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a0 + j), Vector512.Load(x + j), s0);
            Finish(row, Vector512.Sum(s0), a0, j);
        }

        /// <summary>Adds the last n mod 16 products to the lane sum and writes y[row] = sum + β·y[row].</summary>
        private void Finish(int row, float sum, float* aRow, int j)
        {
            for (; j < n; j++) sum = MathF.FusedMultiplyAdd(aRow[j], x[j], sum);
            y[row] = beta == 0 ? sum : sum + beta * y[row];
        }
    }
}

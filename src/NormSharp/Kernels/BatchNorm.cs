namespace NormSharp.Kernels;

/// <summary>
/// Batch-normalization kernels in ATen's three-kernel structure (shared/STYLE.md, "Kernels";
/// <c>aten/src/ATen/native/cpu/batch_norm_kernel.cpp</c>): collect per-channel statistics, apply the
/// folded affine map, and a fused backward (one reduction pass, one element-wise pass).
/// </summary>
/// <remarks>
/// <para>Every kernel sees its input as <c>[n, channels, spatial]</c>, row-major. With
/// <c>spatial == 1</c> (an [N, C] batch) the work is vectorised across channels; otherwise each channel
/// owns <c>n</c> contiguous planes of <c>spatial</c> values (NCHW) and the work is plane-wise.</para>
/// <para>Determinism: reductions are split into blocks of rows (or planes) whose size depends only on
/// the problem's shape; block partials are combined in block order, so results are identical for any
/// thread count. Reductions accumulate in double, with a per-block shift for the statistics (the first
/// value of the block): never the naive E[x²] − E[x]² in float.</para>
/// <para>Training layers use the float-run reductions instead (<see cref="TrainingStatistics"/>,
/// <see cref="TrainingBackwardReduce"/>): the same per-block shift, but [N, C] blocks of halves of the rows
/// (<see cref="BlockRows"/>), and the sums inside a block run in float over short runs before being added in double
/// (~1e-7 relative instead of double rounding, still thread-count independent), at float SIMD width. Plain [N, C]
/// training BN (no hook between statistics and apply, such as SyncBN, Batch Renorm or precise-BN collection) runs the
/// fused kernels (<see cref="ForwardTraining"/>, <see cref="BackwardTraining"/>): one dispatch per pass, either as
/// 64-column strips reduced, folded and applied while each is still in L1/L2, or, where a party's share of the tensors
/// fits in its core's L2, as parties that own runs of rows (BatchNorm.FusedRowParties.cs); both compute bit for bit
/// what the float-run reductions + fold + <see cref="Apply"/> compute. Planar batches run the same two kernels as
/// parties that share out the samples and meet between reduction and apply (BatchNorm.FusedPlaneParties.cs); the
/// separate planar reductions split over (channel, block) chunks.</para>
/// </remarks>
public static unsafe partial class BatchNorm
{
    /// <summary>Blocks of rows per column in the [N, C] layout, as equal as the batch allows (planar batches:
    /// <see cref="PlaneBlocksPerChannel"/> blocks of planes per channel): one per party for two parties owning whole
    /// blocks (BatchNorm.FusedRowParties.cs), and few, because every block costs a merge per column, and each party reads
    /// the other's partials for its columns. In-process A/B of the [500, 500] layer forward+backward (Intel Xeon): 16 blocks
    /// 98 µs at 2 threads and 281 at 1, 8 blocks 87 and 250, 4 blocks 78 and 248; 2 blocks against 4, builds alternated
    /// eight times, 71.3–74.0 against 73.6–75.2 µs at 2 threads ([500, 200] 27.7 against 29.8, [256, 120] 15.3 against
    /// 16.4, [1000, 260] within noise) and 243–253 against 249–259 at 1. The blocks used to be whole float runs (128, 128,
    /// 128 and 116 rows of 500): the party with 256 rows then summed and applied 5% more than the other, which waited for
    /// it at each meeting.</summary>
    private const int RowBlocksPerColumn = 2;

    /// <summary>Below this many elements an element-wise pass runs on one thread (PyTorch's grain size).</summary>
    private const int Grain = 32768;

    /// <summary>Columns per chunk in the [N, C] layout (a multiple of every vector width).</summary>
    private const int ColumnsPerChunk = 64;

    /// <summary>Rows per reduction block of the double kernels (<see cref="Statistics"/>, <see cref="BackwardReduce"/>) in the
    /// [N, C] layout aim at this many elements: few blocks, each long enough to amortise its merge.</summary>
    private const int DoubleBlockElements = 65536;

    /// <summary>Reduction blocks of the leading dimension for the double kernels: a size that depends only on the shape
    /// (planar: <see cref="BlockRows"/>'s).</summary>
    private static int DoubleBlockRows(int n, int channels, int spatial)
    {
        if (spatial > 1) return BlockRows(n, channels, spatial);
        int rows = (int)Math.Max(1, DoubleBlockElements / Math.Max(1, channels));
        return Math.Min(Math.Max(n, 1), rows);
    }

    /// <summary>Reduction blocks of the leading dimension for the fused (float-run) kernels: a size that depends only on
    /// the shape.</summary>
    private static int BlockRows(int n, int channels, int spatial)
    {
        if (spatial > 1) return Math.Max(1, (n + PlaneBlocksPerChannel - 1) / PlaneBlocksPerChannel);
        int rows = (n + RowBlocksPerColumn - 1) / RowBlocksPerColumn;
        return Math.Max(1, Math.Min(n, rows));
    }

    private static void CheckShape(int length, int n, int channels, int spatial, string name)
    {
        if (n < 0 || channels < 0 || spatial < 1)
            throw new ArgumentException($"invalid batch-norm shape [n={n}, channels={channels}, spatial={spatial}]");
        if ((long)n * channels * spatial != length)
            throw new ArgumentException($"{name} holds {length} values, not [{n}, {channels}, {spatial}]", name);
    }

    private static void CheckChannels(int length, int channels, string name)
    {
        if (length < channels) throw new ArgumentException($"{name} holds {length} values for {channels} channels", name);
    }

    /// <summary>Runs an element-wise body over <paramref name="units"/> units of <paramref name="unitSize"/> elements.</summary>
    private static int ElementwiseChunks(int units, long unitSize) =>
        Math.Min(Math.Max(units, 1), ParallelRunner.ChunksFor((long)units * unitSize, Grain));

    [ThreadStatic] private static double[]? t_scratch;

    /// <summary>Scratch for block partials: one pinned array per calling thread, grown on demand and kept,
    /// so steady-state calls allocate nothing (ArrayPool.Shared may trim its arrays on a gen-2 GC).
    /// Kernels never nest while holding it.</summary>
    private static double[] Scratch(int length)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < length)
            t_scratch = scratch = GC.AllocateUninitializedArray<double>(Math.Max(length, 256), pinned: true);
        return scratch;
    }
}

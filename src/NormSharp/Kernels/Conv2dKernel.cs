using System.Numerics.Tensors;

namespace NormSharp.Kernels;

/// <summary>
/// Fast 2-d convolution over NCHW input (forward, gradient with respect to the input, gradient with respect
/// to the weights and bias), by im2col and a matrix product one image at a time: register-blocked
/// <see cref="System.Runtime.Intrinsics.Vector512"/> products where AVX-512 is available
/// (Conv2dKernel.Products.cs), their <see cref="System.Runtime.Intrinsics.Vector256"/> forms where only AVX2 and FMA
/// are (the *256.cs files), <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)">Gemm.Sgemm</see> elsewhere. Checked against <see cref="Conv2dReference"/>.
/// </summary>
/// <remarks>
/// <para>Per image, the im2col matrix col[C·k·k, H'·W'] is ~78 KB for LeNet's layers and stays in L2, where
/// the full-batch matrix would be 15–20 MB (shared/PERF.md, "Convolution"). Forward is then
/// y_n[C_out, H'·W'] = W[C_out, C·k·k] · col_n (the spatial dimension runs along the GEMM's vector lanes),
/// input gradient dcol_n = Wᵀ · dy_n followed by col2im, weight gradient dW += dy_n · col_nᵀ (im2col is
/// recomputed in backward rather than kept from forward: a full batch's matrices would not stay in cache).</para>
/// <para>Images are spread over <see cref="ParallelRunner"/> in contiguous chunks whose count depends only
/// on the sizes and <see cref="ParallelRunner.Threads"/>. Each chunk has its own slice of the caller's
/// workspace (<see cref="WorkspaceSize"/>); weight gradients are summed per chunk and the partial sums are
/// added in chunk order, so results are bit-identical from run to run at a given thread count.</para>
/// </remarks>
public static unsafe partial class Conv2dKernel
{
    /// <summary>Multiply-adds per chunk below which splitting further does not pay for the hand-off
    /// (PyTorch's grain size is 32,768 elements; a multiply-add is cheaper than an element-wise op).</summary>
    private const long GrainMultiplyAdds = 1 << 17;

    /// <summary>Floats of workspace each of <see cref="Forward"/>, <see cref="BackwardData"/> and
    /// <see cref="BackwardWeights"/> needs for <paramref name="g"/> at the current <see cref="ParallelRunner.Threads"/>.</summary>
    public static int WorkspaceSize(in Conv2dGeometry g) => WorkspaceSizeFor(g, ChunkCount(g));

    /// <summary>y = conv(x, W) + b. <paramref name="bias"/> may be empty (no bias).</summary>
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Span<float> workspace)
    {
        CheckSizes(g, input.Length, weight.Length, bias.Length, output.Length);
        int chunks = ChunkCount(g);
        CheckWorkspace(g, chunks, workspace.Length);
        fixed (float* x = input, w = weight, b = bias, y = output, ws = workspace)
        {
            if (UsesChannelLanes(g)) TransposeWeights(g, w, SharedWeights(g, chunks, ws));
            else if (UsesSpatialLanes(g)) PackSpatialWeights(g, w, SharedWeights(g, chunks, ws));
            var body = new ForwardBody(g, chunks, x, w, bias.IsEmpty ? null : b, y, ws);
            ParallelRunner.For(chunks, body);
        }
    }

    /// <summary>dx = ∂L/∂x from dy = ∂L/∂y (overwrites <paramref name="gradInput"/>).</summary>
    public static void BackwardData(in Conv2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput, Span<float> workspace)
    {
        CheckSizes(g, gradInput.Length, weight.Length, 0, gradOutput.Length);
        int chunks = ChunkCount(g);
        CheckWorkspace(g, chunks, workspace.Length);
        fixed (float* dy = gradOutput, w = weight, dx = gradInput, ws = workspace)
        {
            if (UsesRowGradient(g))
            {
                float* reordered = SharedWeights(g, chunks, ws);
                ReorderRowGradientWeights(g, w, reordered);
                if (UsesPackedRowGradient(g)) RunPackedRowGradient(g, chunks, dy, reordered, dx, ws);
                else ParallelRunner.For(chunks, new RowGradientBody(g, chunks, dy, reordered, dx, ws));
            }
            else ParallelRunner.For(chunks, new BackwardDataBody(g, chunks, dy, w, dx, ws));
        }
    }

    /// <summary>Adds ∂L/∂W into <paramref name="gradWeight"/> and, when it is not empty, ∂L/∂b into
    /// <paramref name="gradBias"/> (backward passes accumulate, as in PyTorch).</summary>
    public static void BackwardWeights(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias, Span<float> workspace)
    {
        CheckSizes(g, input.Length, gradWeight.Length, gradBias.Length, gradOutput.Length);
        int chunks = ChunkCount(g);
        CheckWorkspace(g, chunks, workspace.Length);
        fixed (float* x = input, dy = gradOutput, ws = workspace)
        {
            var body = new BackwardWeightsBody(g, chunks, x, dy, !gradBias.IsEmpty, ws);
            ParallelRunner.For(chunks, body);
            // Combine the per-chunk partial sums in chunk order: deterministic at a given thread count.
            if (UsesChannelLanes(g))
            {
                // Partials are [C_out/16, C·k·k, 16]: sum them into the first chunk's, then transpose once.
                var first = new Span<float>(body.PartialWeight(0), g.WeightSize);
                for (int c = 1; c < chunks; c++) TensorPrimitives.Add(first, new ReadOnlySpan<float>(body.PartialWeight(c), g.WeightSize), first);
                AddTransposedWeights(g, body.PartialWeight(0), gradWeight);
            }
            for (int c = 0; c < chunks; c++)
            {
                if (!UsesChannelLanes(g))
                    TensorPrimitives.Add(gradWeight, new ReadOnlySpan<float>(body.PartialWeight(c), g.WeightSize), gradWeight);
                if (!gradBias.IsEmpty)
                    TensorPrimitives.Add(gradBias, new ReadOnlySpan<float>(body.PartialBias(c), g.OutChannels), gradBias);
            }
        }
    }

    /// <summary>Adds ∂L/∂b[o] = Σ_n Σ_positions dy[n, o, ·] into <paramref name="gradBias"/>, for when only the
    /// bias needs a gradient (<see cref="BackwardWeights"/> computes it alongside the weights otherwise).</summary>
    public static void BackwardBias(in Conv2dGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradBias)
    {
        if (gradOutput.Length != g.OutputSize)
            throw new ArgumentException($"output gradient has {gradOutput.Length} elements, {g} needs {g.OutputSize}", nameof(gradOutput));
        if (gradBias.Length != g.OutChannels)
            throw new ArgumentException($"bias gradient has {gradBias.Length} elements, {g} needs {g.OutChannels}", nameof(gradBias));
        int cols = g.ColumnCols;
        for (int o = 0; o < g.OutChannels; o++)
        {
            float sum = 0;
            for (int n = 0; n < g.Batch; n++) sum += TensorPrimitives.Sum(gradOutput.Slice((n * g.OutChannels + o) * cols, cols));
            gradBias[o] += sum;
        }
    }

    /// <summary>Throws when a buffer length does not match <paramref name="g"/>. <paramref name="biasLength"/> 0 means no bias.</summary>
    internal static void CheckSizes(in Conv2dGeometry g, int inputLength, int weightLength, int biasLength, int outputLength)
    {
        if (inputLength != g.InputSize)
            throw new ArgumentException($"input has {inputLength} elements, {g} needs {g.InputSize}", "input");
        if (weightLength != g.WeightSize)
            throw new ArgumentException($"weight has {weightLength} elements, {g} needs {g.WeightSize}", "weight");
        if (biasLength != 0 && biasLength != g.OutChannels)
            throw new ArgumentException($"bias has {biasLength} elements, {g} needs {g.OutChannels} (or none)", "bias");
        if (outputLength != g.OutputSize)
            throw new ArgumentException($"output has {outputLength} elements, {g} needs {g.OutputSize}", "output");
    }

    private static int WorkspaceSizeFor(in Conv2dGeometry g, int chunks) => checked(chunks * PerChunkSize(g) + SharedWeightsSize(g));

    /// <summary>Floats of <see cref="SharedWeights"/>: the forward's transposed or packed weights, or the row gradient's
    /// reordered ones (each call prepares its own before its chunks run).</summary>
    private static int SharedWeightsSize(in Conv2dGeometry g) => Math.Max(
        UsesChannelLanes(g) ? g.WeightSize : UsesSpatialLanes(g) ? SpatialPackedWeightSize(g) : 0,
        UsesRowGradient(g) ? g.WeightSize : 0);

    /// <summary>One chunk's share of the workspace: its im2col (or channel-lanes) scratch, partial dW and partial db.</summary>
    private static int PerChunkSize(in Conv2dGeometry g) => checked(ColumnSize(g) + PartialWeightSize(g) + g.OutChannels);

    /// <summary>The transposed (channel lanes) or packed (spatial lanes) forward weights, or the row gradient's, after
    /// every chunk's share.</summary>
    private static float* SharedWeights(in Conv2dGeometry g, int chunks, float* workspace) =>
        workspace + (long)chunks * PerChunkSize(g);

    /// <summary>Per-chunk partial weight gradient: 16 lane sums per weight when <see cref="UsesLaneSums"/>.</summary>
    private static int PartialWeightSize(in Conv2dGeometry g) => UsesLaneSums(g) ? 16 * g.WeightSize : g.WeightSize;

    private static void CheckWorkspace(in Conv2dGeometry g, int chunks, int length)
    {
        int needed = WorkspaceSizeFor(g, chunks);
        if (length < needed)
            throw new ArgumentException(
                $"workspace has {length} floats, {g} needs {needed} at {ParallelRunner.Threads} threads (Conv2dKernel.WorkspaceSize)",
                "workspace");
    }

    /// <summary>Chunks over the batch: a function of the sizes and the thread count only.</summary>
    private static int ChunkCount(in Conv2dGeometry g)
    {
        long perImage = (long)g.WeightSize * g.ColumnCols;
        long grain = Math.Max(1, GrainMultiplyAdds / Math.Max(1, perImage));
        return ParallelRunner.ChunksFor(g.Batch, grain);
    }

    /// <summary>The im2col buffer one chunk needs (none for a pointwise convolution, whose input is its own matrix),
    /// rows of <see cref="ColumnStride"/> floats, plus the padded output planes when that stride pads, with
    /// <see cref="ColumnSlack"/> floats on either side.</summary>
    private static int ColumnSize(in Conv2dGeometry g)
    {
        if (g.IsPointwise) return 0;
        int ld = ColumnStride(g);
        int im2col = checked(g.ColumnRows * ld + (ld == g.ColumnCols ? 0 : g.OutChannels * ld));
        int direct = UsesChannelLanes(g) ? ChannelLanesScratch(g) : UsesSpatialLanes(g) ? SpatialLanesScratch(g) : 0;
        if (UsesRowGradient(g)) direct = Math.Max(direct, Math.Max(RowGradientScratch(g), PackedRowGradientScratch(g)));
        return checked(2 * ColumnSlack(g) + Math.Max(im2col, direct));
    }

    /// <summary>Floats kept free before and after a chunk's im2col matrix: <see cref="Col2ImStride1"/> reads whole
    /// vectors up to k + 13 floats outside the matrix and masks those lanes off; the slack keeps such reads
    /// inside the workspace. A multiple of 16, so the matrix stays 64-byte aligned relative to the workspace.</summary>
    private static int ColumnSlack(in Conv2dGeometry g) => 16 * ((g.KernelSize + 31) / 16);

    /// <summary>Chunk <paramref name="chunk"/>'s im2col (or channel-lanes) scratch.</summary>
    private static float* ChunkColumns(in Conv2dGeometry g, float* workspace, int chunk) =>
        workspace + (long)chunk * ColumnSize(g) + (g.IsPointwise ? 0 : ColumnSlack(g));

    /// <summary>First image of chunk <paramref name="chunk"/> of <paramref name="chunks"/> over <paramref name="batch"/> images.</summary>
    private static int ChunkStart(int chunk, int chunks, int batch) => (int)((long)batch * chunk / chunks);
}

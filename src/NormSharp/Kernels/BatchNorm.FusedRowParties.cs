using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>The fused [N, C] training kernels as parties that each own a run of rows (<see cref="ParallelRunner.Together"/>).</summary>
/// <remarks>
/// <para>A party sums its blocks of rows over all columns, the parties meet, each merges a share of the columns from
/// every block in block order and folds them, they meet again, and each applies the affine map to its own rows. A
/// party reads and writes only its own rows, at every call: x, y, dy and dx of [500, 500] are 0.5 MB each per party,
/// which stay in a 2 MB L2 from the forward to the backward and from one step to the next, where the column strips
/// (BatchNorm.Fused.cs) stream every row through both cores from L3. Where the share does not fit, each core still
/// streams one contiguous run instead of short strided pieces of every row, and the parties stay faster
/// (<see cref="UseRowParties"/>); the strips remain for one thread and batches too small to share.</para>
/// <para>The blocks, their sums and the merges are those of the strip kernels (<see cref="FusedRowStatistics"/>,
/// <see cref="FusedRowBackwardReduce"/>: <see cref="ShiftedRowSums"/> and <see cref="BlockBackwardSums"/> per block,
/// <see cref="MergeAllBlocks"/> and <see cref="AddAllBlockSums"/> in block order) and the applies the same fused multiply-adds
/// (<see cref="OwnRowsAffine"/>), so the result is bit for bit the same for either schedule and any number of parties.</para>
/// </remarks>
public static unsafe partial class BatchNorm
{
    /// <summary>Tests set this to force (true) or forbid (false) the row parties where the shape allows them; null: row parties.</summary>
    internal static bool? RowPartiesOverride;

    /// <summary>Row parties for a fused [N, C] batch: with two threads or more, a batch large enough to share and a block per
    /// party at least.</summary>
    /// <remarks>The rule once also asked that a party's share of x, y, dy and dx fit in its core's L2, and left larger
    /// batches to the strips; measured against that, the parties are as fast or faster where the share does not fit.
    /// Forward+backward of the layer at 2 threads, separate processes alternating, sorted medians, Zen 3 (512 KB L2, a
    /// noisy host): [500, 1024] strips 0.413/0.419/0.435/0.754/0.834 ms, parties 0.273/0.346/0.383/0.400/0.417, and in a
    /// second set (old build against new) 0.410–0.867 against 0.327–0.391; [500, 500] 0.129–0.185 against 0.099–0.170,
    /// then 0.150–0.208 against 0.160–0.180 (medians 0.172, 0.169). Intel (2 MB L2): [500, 1024] 434 → 254 µs.</remarks>
    private static bool UseRowParties(in FusedShape shape)
    {
        int parties = ParallelRunner.Threads;
        if (parties < 2 || shape.Spatial != 1 || shape.Elements < Grain || Blocks(shape) < parties) return false;
        return RowPartiesOverride ?? true;
    }

    /// <summary>A party's apply of its own whole rows: one aligned stream (<see cref="FlatAffine"/>) where C's coefficient
    /// period fits its tables, else row by row (<see cref="RowAffine"/>); the same fused multiply-adds either way.</summary>
    private static void OwnRowsAffine<TAct>(float* u, float* v, float* output, int rows, int channels, float* a, float* b, float* shift,
        TAct activation) where TAct : struct, VectorBlock.IMap, VectorBlock.IMap256
    {
        if (FlatAffineApplies(channels)) FlatAffine(u, v, output, rows, channels, a, b, shift, activation);
        else RowAffine(u, v, output, rows, channels, 0, channels, a, b, shift, activation);
    }

    private readonly struct RowPartyForwardBody(FusedShape shape, float* x, float* y, float* gamma, float* beta, double eps,
        double* mean, double* m2, double* invstd, float* alpha, float* shift, double* partials, FusedActivation activation) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            if (activation == FusedActivation.Relu) Execute(party, parties, barrier, new Activations.ReluOp());
            else if (activation == FusedActivation.Sigmoid) Execute(party, parties, barrier, new Activations.SigmoidOp());
            else Execute(party, parties, barrier, default(NoActivation));
        }

        private void Execute<TAct>(int party, int parties, PartyBarrier barrier, TAct op) where TAct : struct, VectorBlock.IMap, VectorBlock.IMap256
        {
            int n = shape.N, channels = shape.Channels, blockRows = shape.BlockRows, blocks = Blocks(shape);
            var (b0, b1) = PartyShare(blocks, party, parties);
            // Last block first: the apply of the step before ended on the party's last rows, which the L1 and the L2's most
            // recent lines still hold (in-process A/B, [500, 500] forward+backward at 2 threads: 73.1 -> 71.4 µs). Each
            // block has its own partials, merged in block order, so the order of the blocks leaves the bits as they were.
            for (int block = b1 - 1; block >= b0; block--)
            {
                // Σ(x − K), Σ(x − K)² of the block's rows per column, K the block's first row.
                double* s1 = partials + (long)block * channels, s2 = partials + (long)(blocks + block) * channels;
                new Span<double>(s1, channels).Clear();
                new Span<double>(s2, channels).Clear();
                int r0 = block * blockRows;
                ShiftedRowSums(x, channels, r0, Math.Min(n, r0 + blockRows), 0, channels, s1, s2);
            }
            barrier.Wait();

            var (c0, c1) = PartyShare(channels, party, parties);
            MergeAllBlocks(x, n, channels, blockRows, blocks, partials, channels, c0, c1, mean, m2);
            FoldForward(c0, c1, n, eps, gamma, beta, mean, m2, invstd, alpha, shift);
            barrier.Wait();

            // The party's own rows, one after another (a sequential stream; the rows are in this core's L2).
            var (first, end) = PartyPlanes(shape, party, parties);
            long offset = (long)first * channels;
            if (Vector512.IsHardwareAccelerated || Strips256)
            {
                OwnRowsAffine(x + offset, null, y + offset, end - first, channels, alpha, null, shift, op);
                return;
            }
            FusedRowAffine(x + offset, null, y + offset, end - first, channels, 0, channels, alpha, null, shift);
            Activations.InPlace(activation, y + offset, (end - first) * channels);
        }
    }

    private readonly struct RowPartyBackwardBody(FusedShape shape, float* x, float* dy, float* dx, float* mean, float* invstd, float* alpha,
        double* sumDy, double* sumDyXmu, float* b, float* k, double* partials) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            int n = shape.N, channels = shape.Channels, blockRows = shape.BlockRows, blocks = Blocks(shape);
            var (b0, b1) = PartyShare(blocks, party, parties);
            for (int block = b1 - 1; block >= b0; block--) // last first, as in the forward
            {
                long at = (long)block * blockRows * channels;
                BlockBackwardSums(x + at, dy + at, mean, Math.Min(blockRows, n - block * blockRows), channels, 0, channels,
                    partials + (long)block * channels, partials + (long)(blocks + block) * channels);
            }
            barrier.Wait();

            var (c0, c1) = PartyShare(channels, party, parties);
            AddAllBlockSums(blocks, channels, partials, c0, c1, sumDy, sumDyXmu);
            BackwardCoefficients(c0, c1, n, mean, invstd, alpha, sumDy, sumDyXmu, b, k);
            barrier.Wait();

            var (first, end) = PartyPlanes(shape, party, parties);
            long offset = (long)first * channels;
            if (Vector512.IsHardwareAccelerated || Strips256)
                OwnRowsAffine(dy + offset, x + offset, dx + offset, end - first, channels, alpha, b, k, default(NoActivation));
            else FusedRowAffine(dy + offset, x + offset, dx + offset, end - first, channels, 0, channels, alpha, b, k);
        }
    }
}

namespace NormSharp.Kernels;

/// <summary>The fused planar ([N, C, S]) training kernels as parties that run at once
/// (<see cref="ParallelRunner.Together"/>), each owning a run of samples.</summary>
/// <remarks>
/// <para>A party sweeps its samples once in memory order, adding each plane into its block's per-channel sums; the
/// parties meet; each merges a share of the channels from every block's sums in block order and folds them; they
/// meet again; each applies the affine map to its own samples, again in memory order. Two dispatches per layer
/// instead of four, every party reading one sequential stream, and each party's samples stay on its core from the
/// forward to the backward. Measured on LeNet's [256, 6, 24, 24] and [256, 6, 28, 28] at 2 threads: faster
/// than the separate passes (5–20%, noisy), LeNet+BN training 7–13% faster (bench/RESULTS.md).</para>
/// <para>The apply runs in reverse (last-read samples first, to hit L2) where the L2 holds most of a party's share
/// (<see cref="AppliesInReverse"/>). Tried and dropped: a channel at a time (its planes shared out, a meeting per channel) ran 10% slower:
/// 2.3 KB planes at a 14 KB stride.</para>
/// <para>The blocks, their partials (in the same layout) and the merge (<see cref="MergePlaneBlocks"/>) are those of
/// <see cref="PlaneBlocks"/> (the separate passes, for layers with a hook between reduction and apply), so the result is
/// bit for bit the same for any number of parties, one included.</para>
/// </remarks>
public static unsafe partial class BatchNorm
{
    /// <summary>Blocks of planes per channel in the planar layout: a party holds whole blocks, so its share of the
    /// batch is off by 1/16 of it at most.</summary>
    private const int PlaneBlocksPerChannel = 16;

    /// <summary>Tests set this to force (true) or forbid (false) <see cref="AppliesInReverse"/>; null: decided by the L2.</summary>
    internal static bool? ReverseApplyOverride;

    /// <summary>Whether a party applies its samples last-read first, so that the apply starts on the planes its sweep left
    /// in L2: where the L2 holds most of a party's share of x (at least two thirds). Measured on an Intel Xeon (2 MB L2, 2
    /// threads): [256, 6, 24, 24] forward+backward 472 → 410 µs, [256, 6, 28, 28] 668 → 598 (the forward and the backward
    /// each gain); on Zen 4 (1 MB L2, about half of the 1.8 MB share) the reverse order ran 15–70% slower, the
    /// prefetchers losing the stream.</summary>
    private static bool AppliesInReverse(in FusedShape shape, int parties) =>
        ReverseApplyOverride ?? 3 * CacheSizes.L2PerCore >= 2 * shape.Elements * sizeof(float) / Math.Max(1, parties);

    /// <summary>Items [first, end) of party <paramref name="party"/> of <paramref name="parties"/>.</summary>
    private static (int First, int End) PartyShare(int items, int party, int parties) =>
        ((int)((long)items * party / parties), (int)((long)items * (party + 1) / parties));

    /// <summary>Parties for a planar fused kernel: one for a batch small enough for one thread, else one per thread
    /// (at most one per block).</summary>
    private static int PlaneParties(in FusedShape shape) =>
        shape.Elements < Grain ? 1 : Math.Min(ParallelRunner.Threads, Blocks(shape));

    private static int Blocks(in FusedShape shape) => (shape.N + shape.BlockRows - 1) / shape.BlockRows;

    /// <summary>Planes [first, end) of the blocks of party <paramref name="party"/>.</summary>
    private static (int First, int End) PartyPlanes(in FusedShape shape, int party, int parties)
    {
        var (b0, b1) = PartyShare(Blocks(shape), party, parties);
        return (b0 * shape.BlockRows, Math.Min(shape.N, b1 * shape.BlockRows));
    }

    /// <summary>The 2×2, stride-2 average pooling a forward applies to each plane after the activation (no target: none).</summary>
    private readonly struct PlanePool(float* target, int width)
    {
        /// <summary>Pools plane <paramref name="plane"/> of y (at <paramref name="source"/>, <paramref name="spatial"/> values).</summary>
        public void Apply(float* source, long plane, int spatial)
        {
            if (target == null) return;
            Pooling.AverageTwoByTwo(source, target + plane * (spatial / 4), width, spatial / width / 2, width / 2);
        }
    }

    private readonly struct PlanePartyForwardBody(FusedShape shape, float* x, float* y, float* gamma, float* beta, double eps,
        double* mean, double* m2, double* invstd, float* alpha, float* shift, double* partials, FusedActivation activation, PlanePool pool) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            int n = shape.N, channels = shape.Channels, spatial = shape.Spatial, blockRows = shape.BlockRows, blocks = Blocks(shape);
            var (b0, b1) = PartyShare(blocks, party, parties);
            for (int block = b0; block < b1; block++) // sample after sample: one sequential stream
            {
                int r0 = block * blockRows, r1 = Math.Min(n, r0 + blockRows);
                // Σ(x − K), Σ(x − K)² per channel (K its first value of the block), then the block's mean and M2,
                // where PlaneBlocks keeps them.
                double* s1 = partials + (long)block * channels, s2 = partials + (long)(blocks + block) * channels;
                new Span<double>(s1, channels).Clear();
                new Span<double>(s2, channels).Clear();
                for (int r = r0; r < r1; r++)
                    for (int c = 0; c < channels; c++)
                        PlaneShiftedSums(x + ((long)r * channels + c) * spatial, spatial, x[((long)r0 * channels + c) * spatial], ref s1[c], ref s2[c]);
                for (int c = 0; c < channels; c++)
                    BlockMoments(x[((long)r0 * channels + c) * spatial], s1[c], s2[c], (double)(r1 - r0) * spatial, out s1[c], out s2[c]);
            }
            barrier.Wait();

            var (c0, c1) = PartyShare(channels, party, parties);
            MergePlaneBlocks(partials, true, n, channels, spatial, blockRows, c0, c1, mean, m2);
            FoldForward(c0, c1, (double)n * spatial, eps, gamma, beta, mean, m2, invstd, alpha, shift);
            barrier.Wait();

            var (first, end) = PartyPlanes(shape, party, parties);
            bool reverse = AppliesInReverse(shape, parties);
            for (int q = first; q < end; q++)
                for (int c = 0; c < channels; c++)
                {
                    int r = reverse ? first + end - 1 - q : q;
                    long offset = ((long)r * channels + c) * spatial;
                    PlaneAffine(x + offset, y + offset, spatial, alpha[c], shift[c]);
                    Activations.InPlace(activation, y + offset, spatial); // the plane is still in L1
                    pool.Apply(y + offset, (long)r * channels + c, spatial); // and still is
                }
        }
    }

    private readonly struct PlanePartyBackwardBody(FusedShape shape, float* x, float* dy, float* dx, float* mean, float* invstd, float* alpha,
        double* sumDy, double* sumDyXmu, float* b, float* k, double* partials) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            int n = shape.N, channels = shape.Channels, spatial = shape.Spatial, blockRows = shape.BlockRows, blocks = Blocks(shape);
            var (b0, b1) = PartyShare(blocks, party, parties);
            for (int block = b0; block < b1; block++)
            {
                int r0 = block * blockRows, r1 = Math.Min(n, r0 + blockRows);
                double* g = partials + (long)block * channels, p = partials + (long)(blocks + block) * channels; // Σdy, Σ(x − μ)dy
                new Span<double>(g, channels).Clear();
                new Span<double>(p, channels).Clear();
                for (int r = r0; r < r1; r++)
                    for (int c = 0; c < channels; c++)
                    {
                        long offset = ((long)r * channels + c) * spatial;
                        PlaneBackwardSums(x + offset, dy + offset, spatial, mean[c], ref g[c], ref p[c]);
                    }
            }
            barrier.Wait();

            var (c0, c1) = PartyShare(channels, party, parties);
            MergePlaneBlocks(partials, false, n, channels, spatial, blockRows, c0, c1, sumDy, sumDyXmu);
            BackwardCoefficients(c0, c1, (double)n * spatial, mean, invstd, alpha, sumDy, sumDyXmu, b, k);
            barrier.Wait();

            var (first, end) = PartyPlanes(shape, party, parties);
            bool reverse = AppliesInReverse(shape, parties);
            for (int q = first; q < end; q++)
                for (int c = 0; c < channels; c++)
                {
                    int r = reverse ? first + end - 1 - q : q;
                    long offset = ((long)r * channels + c) * spatial;
                    PlaneAffine2(dy + offset, x + offset, dx + offset, spatial, alpha[c], b[c], k[c]);
                }
        }
    }
}

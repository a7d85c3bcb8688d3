using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>The row parties' merges of every block's partial sums (BatchNorm.FusedRowParties.cs), a column vector at a
/// time across all the blocks: each column's running mean and M2 (or Σdy and Σ(x − mean)·dy) stay in registers from the
/// first block to the last and are stored once, where <see cref="MergeBlock"/> and <see cref="AddBlockSums"/> store and
/// reload them once per block. The same operations per column in the same block order, so the same bits.</summary>
/// <remarks>In-process probe, [500, 500] layer forward+backward at 2 threads (Intel Xeon), timed per phase: the party
/// merging columns 250–499 spent 1.4–2.2 µs on its first block alone (0.3 for the other party), and the backward's
/// block-by-block adds 2.5–2.7 µs against 1.0–1.2 in registers. With blocks of equal rows (<see cref="BlockRows"/>),
/// builds alternated eight times: medians 80.9–85.6 µs before (median of medians 83.7), 76.0–81.9 after (80.0).</remarks>
public static unsafe partial class BatchNorm
{
    /// <summary>mean[c], m2[c] for columns [c0, c1) from the shifted sums of all <paramref name="blocks"/> blocks
    /// (s1 of block b at partials + b·C, s2 at partials + (blocks + b)·C), merged in block order with Chan's formula
    /// exactly as <see cref="MergeBlock"/> does block by block, then M2 clamped at zero (Math.Max(0, M2), as
    /// <see cref="FusedRowStatistics"/> does after its merges).</summary>
    private static void MergeAllBlocks(float* x, int n, int channels, int blockRows, int blocks, double* partials, int c0, int c1,
        double* mean, double* m2)
    {
        // MergeBlock's per-block factors: 1/nb, nb/n and nA·nb/n (n = nA + nb), once per block (a handful: RowBlocksPerColumn).
        double* perRow = stackalloc double[blocks], meanWeight = stackalloc double[blocks], m2Weight = stackalloc double[blocks];
        double seen = 0;
        for (int block = 0; block < blocks; block++)
        {
            double nb = Math.Min(blockRows, n - block * blockRows), total = seen + nb;
            perRow[block] = 1.0 / nb;
            meanWeight[block] = nb / total;
            m2Weight[block] = seen * nb / total;
            seen = total;
        }
        long s2Offset = (long)blocks * channels;
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c <= c1 - Vector512<double>.Count; c += Vector512<double>.Count)
            {
                Vector512<double> mu = default, q2 = default;
                for (int block = 0; block < blocks; block++)
                {
                    double* s1 = partials + (long)block * channels + c;
                    Vector512<double> k = Vector512.WidenLower(Vector256.Load(x + (long)block * blockRows * channels + c).ToVector512Unsafe());
                    Vector512<double> a = Vector512.Load(s1), q = Vector512.Load(s1 + s2Offset), perRowV = Vector512.Create(perRow[block]);
                    Vector512<double> blockMean = k + a * perRowV, blockM2 = q - a * a * perRowV;
                    if (block == 0)
                    {
                        mu = blockMean;
                        q2 = blockM2;
                        continue;
                    }
                    Vector512<double> delta = blockMean - mu;
                    mu += delta * Vector512.Create(meanWeight[block]);
                    q2 += blockM2 + delta * delta * Vector512.Create(m2Weight[block]);
                }
                mu.Store(mean + c);
                ClampAtZero(q2).Store(m2 + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= c1 - Vector256<double>.Count; c += Vector256<double>.Count)
            {
                Vector256<double> mu = default, q2 = default;
                for (int block = 0; block < blocks; block++)
                {
                    double* s1 = partials + (long)block * channels + c;
                    Vector256<double> k = WidenFour(x + (long)block * blockRows * channels + c);
                    Vector256<double> a = Vector256.Load(s1), q = Vector256.Load(s1 + s2Offset), perRowV = Vector256.Create(perRow[block]);
                    Vector256<double> blockMean = k + a * perRowV, blockM2 = q - a * a * perRowV;
                    if (block == 0)
                    {
                        mu = blockMean;
                        q2 = blockM2;
                        continue;
                    }
                    Vector256<double> delta = blockMean - mu;
                    mu += delta * Vector256.Create(meanWeight[block]);
                    q2 += blockM2 + delta * delta * Vector256.Create(m2Weight[block]);
                }
                mu.Store(mean + c);
                ClampAtZero(q2).Store(m2 + c);
            }
        }
        for (; c < c1; c++)
        {
            double mu = 0, q2 = 0;
            for (int block = 0; block < blocks; block++)
            {
                double* s1 = partials + (long)block * channels + c;
                double k = x[(long)block * blockRows * channels + c], a = *s1;
                double blockMean = k + a * perRow[block], blockM2 = s1[s2Offset] - a * a * perRow[block];
                if (block == 0)
                {
                    mu = blockMean;
                    q2 = blockM2;
                    continue;
                }
                double delta = blockMean - mu;
                mu += delta * meanWeight[block];
                q2 += blockM2 + delta * delta * m2Weight[block];
            }
            mean[c] = mu;
            m2[c] = Math.Max(0, q2);
        }
    }

    /// <summary>Math.Max(0, v) lane by lane: NaN stays NaN, −0 and negatives become +0.</summary>
    private static Vector512<double> ClampAtZero(Vector512<double> v) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(v, default), default, v);

    private static Vector256<double> ClampAtZero(Vector256<double> v) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(v, default), default, v);

    /// <summary>sumDy[c] = Σ_b g_b[c], sumDyXmu[c] = Σ_b p_b[c] for columns [c0, c1), added from zero in block order
    /// (g of block b at partials + b·C, p at partials + (blocks + b)·C), as clearing the sums and running
    /// <see cref="AddBlockSums"/> block by block does.</summary>
    private static void AddAllBlockSums(int blocks, int channels, double* partials, int c0, int c1, double* sumDy, double* sumDyXmu)
    {
        long pOffset = (long)blocks * channels;
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c <= c1 - Vector512<double>.Count; c += Vector512<double>.Count)
            {
                Vector512<double> g = default, p = default;
                for (int block = 0; block < blocks; block++)
                {
                    double* at = partials + (long)block * channels + c;
                    g += Vector512.Load(at);
                    p += Vector512.Load(at + pOffset);
                }
                g.Store(sumDy + c);
                p.Store(sumDyXmu + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= c1 - Vector256<double>.Count; c += Vector256<double>.Count)
            {
                Vector256<double> g = default, p = default;
                for (int block = 0; block < blocks; block++)
                {
                    double* at = partials + (long)block * channels + c;
                    g += Vector256.Load(at);
                    p += Vector256.Load(at + pOffset);
                }
                g.Store(sumDy + c);
                p.Store(sumDyXmu + c);
            }
        }
        for (; c < c1; c++)
        {
            double g = 0, p = 0;
            for (int block = 0; block < blocks; block++)
            {
                double* at = partials + (long)block * channels + c;
                g += *at;
                p += at[pOffset];
            }
            sumDy[c] = g;
            sumDyXmu[c] = p;
        }
    }
}

using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>The merges of every block's partial sums of the fused [N, C] kernels, for the row parties
/// (BatchNorm.FusedRowParties.cs) and the column strips alike, so both schedules compute the same bits: a column vector at
/// a time across all the blocks, each column's running mean and M2 (or Σdy and Σ(x − mean)·dy) in registers from the
/// first block to the last and stored once, where the merges used to store and reload them once per block.</summary>
/// <remarks>In-process probe, [500, 500] layer forward+backward at 2 threads (Intel Xeon), timed per phase: the party
/// merging columns 250–499 spent 1.4–2.2 µs on its first block alone (0.3 for the other party), and the backward's
/// block-by-block adds 2.5–2.7 µs against 1.0–1.2 in registers. With blocks of equal rows (<see cref="BlockRows"/>),
/// builds alternated eight times: medians 80.9–85.6 µs before (median of medians 83.7), 76.0–81.9 after (80.0).</remarks>
public static unsafe partial class BatchNorm
{
    /// <summary>mean[c], m2[c] for columns [c0, c1) from the shifted sums of all <paramref name="blocks"/> blocks
    /// (s1 of block b at partials + b·stride + c, s2 at partials + (blocks + b)·stride + c; K the block's first row of x),
    /// merged in block order with Chan's formula: block mean K + s1/nb, block M2 s2 − s1²/nb; δ = mean_b − mean,
    /// mean += δ·nb/n, M2 += M2_b + δ²·nA·nb/n (n = nA + nb); then M2 clamped at zero as Math.Max(0, M2) does. The
    /// divisions are multiplications by per-block factors (dividing per column had been a third of the pass; the factors
    /// cost an ulp of double, far below the float runs' rounding); the vector lanes do each column's scalar operations
    /// (no contraction into FMA), so the width never changes a bit.</summary>
    private static void MergeAllBlocks(float* x, int n, int channels, int blockRows, int blocks, double* partials, int stride,
        int c0, int c1, double* mean, double* m2)
    {
        // The per-block factors 1/nb, nb/n and nA·nb/n, once per block (a handful: RowBlocksPerColumn).
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
        long s2Offset = (long)blocks * stride;
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c <= c1 - Vector512<double>.Count; c += Vector512<double>.Count)
            {
                Vector512<double> mu = default, q2 = default;
                for (int block = 0; block < blocks; block++)
                {
                    double* s1 = partials + (long)block * stride + c;
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
                    double* s1 = partials + (long)block * stride + c;
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
                double* s1 = partials + (long)block * stride + c;
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
    /// (g of block b at partials + b·stride + c, p at partials + (blocks + b)·stride + c), lane-wise double adds.</summary>
    private static void AddAllBlockSums(int blocks, int stride, double* partials, int c0, int c1, double* sumDy, double* sumDyXmu)
    {
        long pOffset = (long)blocks * stride;
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c <= c1 - Vector512<double>.Count; c += Vector512<double>.Count)
            {
                Vector512<double> g = default, p = default;
                for (int block = 0; block < blocks; block++)
                {
                    double* at = partials + (long)block * stride + c;
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
                    double* at = partials + (long)block * stride + c;
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
                double* at = partials + (long)block * stride + c;
                g += *at;
                p += at[pOffset];
            }
            sumDy[c] = g;
            sumDyXmu[c] = p;
        }
    }
}

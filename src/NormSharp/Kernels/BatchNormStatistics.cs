namespace NormSharp.Kernels;

/// <summary>
/// Per-channel batch statistics as mergeable partials: a common element count and, per channel, the
/// mean and M2 = Σ(x − mean)² in double precision. Partials from disjoint shards of a batch combine
/// exactly with Chan et al.'s parallel formula (<see cref="Merge(BatchNormStatistics)"/>), so a synchronized BN across
/// processes is a reduction of these partials, and precise BN is a merge over K batches.
/// </summary>
/// <remarks>
/// Chan, Golub and LeVeque, "Updating formulae and a pairwise algorithm for computing sample variances"
/// (1979): for shards A and B, n = nA + nB, δ = meanB − meanA,
/// mean = meanA + δ·nB/n, M2 = M2A + M2B + δ²·nA·nB/n.
/// </remarks>
public sealed class BatchNormStatistics
{
    private readonly double[] _mean;
    private readonly double[] _m2;

    /// <summary>Empty statistics (count 0) for <paramref name="channels"/> channels.</summary>
    public BatchNormStatistics(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        _mean = new double[channels];
        _m2 = new double[channels];
    }

    /// <summary>Number of channels.</summary>
    public int Channels => _mean.Length;

    /// <summary>Elements per channel these statistics summarise (N·H·W for a 2d batch).</summary>
    public long Count { get; private set; }

    /// <summary>Per-channel means.</summary>
    public Span<double> Mean => _mean;

    /// <summary>Per-channel sums of squared deviations from the mean.</summary>
    public Span<double> M2 => _m2;

    /// <summary>Forgets everything (count 0).</summary>
    public void Reset()
    {
        Count = 0;
        Array.Clear(_mean);
        Array.Clear(_m2);
    }

    /// <summary>Computes the statistics of a batch laid out as [n, channels, spatial] (spatial = 1 for
    /// an [N, C] batch), replacing the current contents.</summary>
    public void Compute(ReadOnlySpan<float> x, int n, int spatial)
    {
        BatchNorm.Statistics(x, n, Channels, spatial, _mean, _m2);
        Count = (long)n * spatial;
    }

    /// <summary>Sets the statistics from raw partials (for example received from another process).</summary>
    public void Set(long count, ReadOnlySpan<double> mean, ReadOnlySpan<double> m2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckLength(mean.Length, nameof(mean));
        CheckLength(m2.Length, nameof(m2));
        mean.CopyTo(_mean);
        m2.CopyTo(_m2);
        Count = count;
    }

    /// <summary>Adds another shard's statistics to these (Chan's parallel formula); the result is the
    /// statistics of the union of both shards.</summary>
    public void Merge(BatchNormStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Channels != Channels)
            throw new ArgumentException($"cannot merge statistics of {other.Channels} channels into {Channels}", nameof(other));
        Merge(other.Count, other._mean, other._m2);
    }

    /// <summary>Adds a shard given as raw partials (count, per-channel mean and M2).</summary>
    public void Merge(long count, ReadOnlySpan<double> mean, ReadOnlySpan<double> m2)
    {
        CheckLength(mean.Length, nameof(mean));
        CheckLength(m2.Length, nameof(m2));
        if (count == 0) return;
        if (Count == 0)
        {
            Set(count, mean, m2);
            return;
        }
        double na = Count, nb = count, n = na + nb;
        for (int c = 0; c < _mean.Length; c++)
        {
            double delta = mean[c] - _mean[c];
            _mean[c] += delta * nb / n;
            _m2[c] += m2[c] + delta * delta * na * nb / n;
        }
        Count += count;
    }

    /// <summary>Biased (population) variance M2 / n of channel <paramref name="channel"/>: what BN normalises with.</summary>
    public double BiasedVariance(int channel) => Count == 0 ? double.NaN : _m2[channel] / Count;

    /// <summary>Unbiased variance M2 / (n − 1): what PyTorch stores in running_var.</summary>
    public double UnbiasedVariance(int channel) => Count <= 1 ? double.NaN : _m2[channel] / (Count - 1);

    private void CheckLength(int length, string name)
    {
        if (length != Channels) throw new ArgumentException($"{length} values for {Channels} channels", name);
    }
}

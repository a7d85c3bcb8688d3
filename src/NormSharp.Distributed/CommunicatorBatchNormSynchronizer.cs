using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Distributed;

/// <summary>
/// Synchronizes a BN layer over a <see cref="ICommunicator"/>: forward all-gathers every rank's
/// (count, mean, M2) per channel and merges them in rank order with Chan's formula; backward allreduces
/// (Σdy, Σ(x − μ)·dy). One collective each way per layer and step.
/// </summary>
/// <remarks>
/// <para>Why gather (count, mean, M2) instead of allreducing (count, Σx, Σx²): the variance from
/// Σx² − (Σx)²/n cancels catastrophically when |mean| ≫ std (activations after a ReLU often are), and
/// the merge of centred partials does not (Chan, Golub and LeVeque 1979). PyTorch's SyncBatchNorm gathers
/// too (<c>batch_norm_gather_stats_with_counts</c>). The payload is Size·(2C + 1) doubles, small beside
/// the gradients.</para>
/// <para>Every rank merges the same list in the same order, so the global statistics, and hence the
/// running statistics, are bit-identical on all ranks.</para>
/// </remarks>
public sealed class CommunicatorBatchNormSynchronizer : IBatchNormSynchronizer
{
    private readonly ICommunicator _communicator;
    private readonly BatchNormStatistics _shard;
    private readonly double[] _send, _gathered, _sums;

    public CommunicatorBatchNormSynchronizer(ICommunicator communicator, int channels)
    {
        _communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        Channels = channels;
        _shard = new BatchNormStatistics(channels);
        _send = new double[2 * channels + 1];
        _gathered = new double[communicator.Size * _send.Length];
        _sums = new double[2 * channels];
    }

    /// <summary>Channels this synchronizer was sized for.</summary>
    public int Channels { get; }

    public void SynchronizeStatistics(BatchNormStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        CheckChannels(statistics.Channels);
        int c = Channels, row = _send.Length;
        _send[0] = statistics.Count; // exact in a double up to 2^53 elements
        statistics.Mean.CopyTo(_send.AsSpan(1, c));
        statistics.M2.CopyTo(_send.AsSpan(1 + c, c));
        _communicator.AllGather(_send, _gathered);
        statistics.Reset();
        for (int r = 0; r < _communicator.Size; r++)
        {
            var part = _gathered.AsSpan(r * row, row);
            _shard.Set((long)part[0], part.Slice(1, c), part.Slice(1 + c, c));
            statistics.Merge(_shard);
        }
    }

    public void SynchronizeGradientSums(Span<double> sumDy, Span<double> sumDyXmu)
    {
        CheckChannels(sumDy.Length);
        CheckChannels(sumDyXmu.Length);
        int c = Channels;
        sumDy.CopyTo(_sums.AsSpan(0, c));
        sumDyXmu.CopyTo(_sums.AsSpan(c, c));
        _communicator.AllreduceSum(_sums);
        _sums.AsSpan(0, c).CopyTo(sumDy);
        _sums.AsSpan(c, c).CopyTo(sumDyXmu);
    }

    private void CheckChannels(int channels)
    {
        if (channels != Channels)
            throw new ArgumentException($"got {channels} channels; this synchronizer was made for {Channels}");
    }
}

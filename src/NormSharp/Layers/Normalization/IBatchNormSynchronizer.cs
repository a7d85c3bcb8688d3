using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Makes a BN layer synchronized across processes (PyTorch's <c>SyncBatchNorm</c>): each process
/// normalises with the statistics of the global batch, which are a reduction of the per-process
/// partials. Implementations wrap a collective (an MPI allreduce, say); every process must call them
/// in the same order.
/// </summary>
/// <remarks>
/// Forward: the layer computes its local (count, mean, M2) and hands them to
/// <see cref="SynchronizeStatistics"/>, which replaces them by the merge over all processes (Chan's
/// formula, <see cref="BatchNormStatistics.Merge(BatchNormStatistics)"/>; or an allreduce of count,
/// Σx and Σx² followed by a conversion). Backward: the per-channel Σdy and Σ(x − mean)·dy are summed
/// over processes by <see cref="SynchronizeGradientSums"/> before the input gradient is formed. As in
/// PyTorch, γ and β receive the local gradient sums (the data-parallel gradient allreduce averages them).
/// </remarks>
public interface IBatchNormSynchronizer
{
    /// <summary>Replaces this process's batch statistics by those of the global batch.</summary>
    void SynchronizeStatistics(BatchNormStatistics statistics);

    /// <summary>Sums <paramref name="sumDy"/> and <paramref name="sumDyXmu"/> (per channel) over all processes, in place.</summary>
    void SynchronizeGradientSums(Span<double> sumDy, Span<double> sumDyXmu);
}

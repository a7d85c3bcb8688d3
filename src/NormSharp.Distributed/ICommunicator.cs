namespace NormSharp.Distributed;

/// <summary>
/// The collectives data-parallel training needs, over a fixed group of processes ("ranks"). Every rank
/// must make the same calls in the same order with the same lengths (MPI's rule for collectives).
/// </summary>
/// <remarks>Implementations: <see cref="MpiCommunicator"/> (MPI_COMM_WORLD of the machine's MPI library)
/// and <see cref="SingleProcessCommunicator"/> (one rank; every collective is the identity), so the same
/// training code runs with and without <c>mpirun</c>.</remarks>
public interface ICommunicator
{
    /// <summary>This process's index, 0 … <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>Number of processes.</summary>
    int Size { get; }

    /// <summary>Element-wise sum over all ranks, in place (MPI_Allreduce with MPI_IN_PLACE, MPI_SUM).</summary>
    void AllreduceSum(Span<float> values);

    /// <inheritdoc cref="AllreduceSum(Span{float})"/>
    void AllreduceSum(Span<double> values);

    /// <summary>Concatenates every rank's <paramref name="send"/> (all of one length) in rank order into
    /// <paramref name="receive"/> (length Size·send.Length) on every rank (MPI_Allgather).</summary>
    void AllGather(ReadOnlySpan<double> send, Span<double> receive);

    /// <summary>Copies <paramref name="values"/> of rank <paramref name="root"/> to every rank (MPI_Bcast).</summary>
    void Broadcast(Span<float> values, int root = 0);

    /// <summary>Returns once every rank has called it (MPI_Barrier).</summary>
    void Barrier();
}

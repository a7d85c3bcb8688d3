namespace NormSharp.Distributed;

/// <summary>A group of one process: sums and broadcasts leave values as they are. Lets distributed code run
/// unchanged without <c>mpirun</c> (and without an MPI library).</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    public static SingleProcessCommunicator Instance { get; } = new();

    public int Rank => 0;

    public int Size => 1;

    public void AllreduceSum(Span<float> values) { }

    public void AllreduceSum(Span<double> values) { }

    public void AllGather(ReadOnlySpan<double> send, Span<double> receive)
    {
        if (receive.Length != send.Length)
            throw new ArgumentException($"receive holds {receive.Length} values, expected {send.Length} (1 rank × {send.Length})", nameof(receive));
        send.CopyTo(receive);
    }

    public void Broadcast(Span<float> values, int root = 0)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), root, "the only rank is 0");
    }

    public void Barrier() { }
}

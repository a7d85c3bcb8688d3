using NormSharp.Distributed;

namespace NormSharp.Tests.Distributed;

/// <summary>
/// Rank <see cref="Rank"/> of a group of <see cref="Size"/> whose other ranks are played by this same process:
/// every other rank is assumed to hold exactly the values this one passes (so a sum is Size × the value and a
/// gather repeats it). Enough to test packing, scaling and call patterns without MPI.
/// </summary>
internal sealed class MirroredRanks(int size, int rank = 0) : ICommunicator
{
    public int Rank => rank;
    public int Size => size;
    public List<int> AllreduceLengths { get; } = [];

    public void AllreduceSum(Span<float> values)
    {
        AllreduceLengths.Add(values.Length);
        for (int i = 0; i < values.Length; i++) values[i] *= size;
    }

    public void AllreduceSum(Span<double> values)
    {
        AllreduceLengths.Add(values.Length);
        for (int i = 0; i < values.Length; i++) values[i] *= size;
    }

    public void AllGather(ReadOnlySpan<double> send, Span<double> receive)
    {
        for (int r = 0; r < size; r++) send.CopyTo(receive.Slice(r * send.Length));
    }

    public void Broadcast(Span<float> values, int root = 0) { }

    public void Barrier() { }
}

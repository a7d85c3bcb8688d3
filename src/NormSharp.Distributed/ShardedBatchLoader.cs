using NormSharp.Data;

namespace NormSharp.Distributed;

/// <summary>
/// This rank's share of each global batch. A <see cref="DataLoader"/> over the whole dataset, seeded the
/// same on every rank, decides the epoch order and the global batches (so every rank knows them without
/// talking); each rank then gathers only rows [B·r/N, B·(r+1)/N) of each batch of B examples. The shards of
/// ranks 0 … N−1, concatenated, are exactly the single-process batch, in order.
/// </summary>
/// <remarks>The state that matters for checkpoints (order, position, generator) is the global loader's,
/// independent of N: a run saved with N ranks resumes with any other N (<see cref="Global"/> goes into
/// <see cref="Serialization.Checkpoint"/>).</remarks>
public sealed class ShardedBatchLoader
{
    private Tensor? _x, _y, _xTail, _yTail;

    /// <param name="global">The whole-dataset loader (its batch size is the global batch size).</param>
    /// <param name="rank">This rank.</param>
    /// <param name="size">Number of ranks.</param>
    public ShardedBatchLoader(DataLoader global, int rank, int size)
    {
        Global = global ?? throw new ArgumentNullException(nameof(global));
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if ((uint)rank >= (uint)size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must lie in [0, {size})");
        if (global.BatchSize < size)
            throw new ArgumentException($"global batch size {global.BatchSize} is smaller than the number of ranks {size}: some rank would get no example", nameof(global));
        Rank = rank;
        Size = size;
    }

    public DataLoader Global { get; }
    public int Rank { get; }
    public int Size { get; }

    /// <summary>Starts an epoch (same permutation on every rank).</summary>
    public void StartEpoch() => Global.StartEpoch();

    /// <summary>First row and row count of this rank's shard of a global batch of <paramref name="rows"/>.</summary>
    public (int Start, int Count) ShardOf(int rows)
    {
        int start = (int)((long)rows * Rank / Size), end = (int)((long)rows * (Rank + 1) / Size);
        return (start, end - start);
    }

    /// <summary>
    /// Fills this rank's shard of the next global batch; false at the end of the epoch.
    /// <paramref name="globalRows"/> is the size of the whole batch. The tensors are reused by the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">The epoch's short last batch has fewer rows than ranks
    /// (use drop-last or a dataset size that leaves at least one example per rank).</exception>
    public bool TryNextShard(out Tensor x, out Tensor y, out int globalRows)
    {
        var order = Global.Order;
        int remaining = order.Length - Global.Position;
        globalRows = Math.Min(Global.BatchSize, remaining);
        if (globalRows <= 0 || (Global.DropLast && globalRows < Global.BatchSize))
        {
            x = y = null!;
            globalRows = 0;
            return false;
        }
        if (globalRows < Size)
            throw new InvalidOperationException(
                $"the last batch of the epoch over '{Global.Dataset.Name}' has {globalRows} examples for {Size} ranks; use drop-last or another batch size");
        var (start, count) = ShardOf(globalRows);
        var indices = order.AsSpan(Global.Position + start, count);
        bool full = globalRows == Global.BatchSize;
        x = Gather(ref full ? ref _x : ref _xTail, Global.Dataset.Features, indices);
        y = Gather(ref full ? ref _y : ref _yTail, Global.Dataset.Targets, indices);
        Global.Position += globalRows;
        return true;
    }

    private static Tensor Gather(ref Tensor? buffer, Tensor source, ReadOnlySpan<int> indices)
    {
        Span<int> shape = stackalloc int[source.Rank];
        source.Shape.CopyTo(shape);
        shape[0] = indices.Length;
        var batch = Tensor.Ensure(ref buffer, shape);
        int row = source.Size / Math.Max(1, source.Dim(0));
        var src = source.Span;
        var dst = batch.Span;
        for (int i = 0; i < indices.Length; i++) src.Slice(indices[i] * row, row).CopyTo(dst.Slice(i * row, row));
        return batch;
    }
}

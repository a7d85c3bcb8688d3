namespace NormSharp.Data;

/// <summary>
/// Mini-batches over an <see cref="InMemoryDataset"/>: reshuffled every epoch with its own seeded
/// <see cref="Rng"/> (so a checkpoint can save and restore the order), optional drop-last, and one
/// reusable pair of batch tensors (and one for the short last batch, so alternating sizes never reshape a
/// buffer) — iterating allocates nothing once the buffers exist.
/// </summary>
public sealed class DataLoader
{
    private readonly int[] _order;
    private Tensor? _x, _y;         // full batches
    private Tensor? _xTail, _yTail; // the short last batch of an epoch (N mod BatchSize examples)
    private int _position;

    public DataLoader(InMemoryDataset dataset, int batchSize, bool shuffle = true, ulong seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Generator = new Rng(seed);
        _order = new int[dataset.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _position = _order.Length; // the first NextBatch starts an epoch
    }

    public InMemoryDataset Dataset { get; }
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }

    /// <summary>The generator that orders each epoch; its state belongs in checkpoints.</summary>
    public Rng Generator { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Position inside the current epoch (examples consumed); part of a checkpoint.</summary>
    public int Position { get => _position; set => _position = Math.Clamp(value, 0, _order.Length); }

    /// <summary>The current epoch's example order; part of a checkpoint.</summary>
    public int[] Order => _order;

    /// <summary>Starts a new epoch: a fresh permutation when shuffling.</summary>
    public void StartEpoch()
    {
        if (Shuffle)
        {
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            Generator.Shuffle(_order.AsSpan());
        }
        _position = 0;
    }

    /// <summary>
    /// Fills the reusable batch tensors with the next batch of the current epoch. Returns false at the end
    /// of the epoch (call <see cref="StartEpoch"/> to go on). The tensors are overwritten by the next call.
    /// </summary>
    public bool TryNextBatch(out Tensor x, out Tensor y)
    {
        int remaining = _order.Length - _position;
        int n = Math.Min(BatchSize, remaining);
        if (n <= 0 || (DropLast && n < BatchSize))
        {
            x = y = null!;
            return false;
        }
        var indices = _order.AsSpan(_position, n);
        bool full = n == BatchSize;
        x = Fill(ref full ? ref _x : ref _xTail, Dataset.Features, indices);
        y = Fill(ref full ? ref _y : ref _yTail, Dataset.Targets, indices);
        _position += n;
        return true;
    }

    private static Tensor Fill(ref Tensor? buffer, Tensor source, ReadOnlySpan<int> indices)
    {
        Span<int> shape = stackalloc int[source.Rank];
        source.Shape.CopyTo(shape);
        shape[0] = indices.Length;
        var batch = Tensor.Ensure(ref buffer, shape);
        InMemoryDataset.GatherRows(source, indices, batch.Span);
        return batch;
    }
}

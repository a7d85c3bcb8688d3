namespace NormSharp.Data;

/// <summary>
/// Examples held in memory: features [N, …] (e.g. [N, 784] or [N, 1, 28, 28]) and targets, either class
/// indices [N] (stored as exact float values, for <c>SoftmaxCrossEntropy</c>) or regression targets [N, k].
/// </summary>
public sealed class InMemoryDataset
{
    public InMemoryDataset(string name, Tensor features, Tensor targets, int numClasses = 0)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (features.Rank < 1 || targets.Rank < 1 || features.Dim(0) != targets.Dim(0))
            throw new ArgumentException(
                $"dataset '{name}': features {features.ShapeString()} and targets {targets.ShapeString()} must agree on the first dimension");
        if (numClasses > 0)
            foreach (float t in targets.Span)
                if (t < 0 || t >= numClasses || t != MathF.Floor(t))
                    throw new ArgumentException($"dataset '{name}': label {t} is not a class index in [0, {numClasses})");
        Name = name;
        Features = features;
        Targets = targets;
        NumClasses = numClasses;
    }

    public string Name { get; }

    /// <summary>All examples, [N, …].</summary>
    public Tensor Features { get; }

    /// <summary>Class indices [N] (classification) or targets [N, k] (regression).</summary>
    public Tensor Targets { get; }

    /// <summary>Number of classes; 0 for regression.</summary>
    public int NumClasses { get; }

    public int Count => Features.Dim(0);

    /// <summary>Shape of one example (features without the batch dimension).</summary>
    public int[] ExampleShape => Features.Shape[1..];

    /// <summary>The examples at <paramref name="indices"/>, copied, in that order.</summary>
    public InMemoryDataset Subset(ReadOnlySpan<int> indices, string? name = null)
    {
        var features = Gather(Features, indices);
        var targets = Gather(Targets, indices);
        return new InMemoryDataset(name ?? Name, features, targets, NumClasses);
    }

    /// <summary>Copies rows <paramref name="indices"/> of <paramref name="source"/> (first dimension) into a new tensor.</summary>
    internal static Tensor Gather(Tensor source, ReadOnlySpan<int> indices)
    {
        int row = source.Size / Math.Max(1, source.Dim(0));
        var shape = (int[])source.Shape.Clone();
        shape[0] = indices.Length;
        var result = new Tensor(shape);
        GatherRows(source, indices, result.Span);
        return result;
    }

    /// <summary>Copies rows <paramref name="indices"/> of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    internal static void GatherRows(Tensor source, ReadOnlySpan<int> indices, Span<float> destination)
    {
        int row = source.Size / Math.Max(1, source.Dim(0));
        var src = source.Span;
        for (int i = 0; i < indices.Length; i++)
            src.Slice(indices[i] * row, row).CopyTo(destination.Slice(i * row, row));
    }
}

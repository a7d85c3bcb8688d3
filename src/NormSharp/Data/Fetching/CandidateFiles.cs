namespace NormSharp.Data.Fetching;

/// <summary>Finds a dataset file under a folder as its raw name or with <c>.gz</c>.</summary>
internal static class CandidateFiles
{
    /// <summary>Each wanted file present in <paramref name="directory"/> (raw preferred over .gz), by raw name.</summary>
    public static Dictionary<string, string> In(string directory, IReadOnlyList<DatasetFile> wanted)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in wanted)
        {
            string raw = Path.Combine(directory, file.Name);
            if (File.Exists(raw)) found[file.Name] = raw;
            else if (File.Exists(raw + ".gz")) found[file.Name] = raw + ".gz";
        }
        return found;
    }
}

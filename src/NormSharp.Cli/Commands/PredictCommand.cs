using System.CommandLine;
using System.Globalization;
using NormSharp.Cli.Data;
using NormSharp.Data;
using NormSharp.Data.Fetching;
using NormSharp.Inference;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>normsharp predict --model m.safetensors --data mnist|fashion-mnist|file.csv [--split test] [--out preds.csv]</c>:
/// eval-mode predictions (running BN statistics), the accuracy when the data has labels, and optionally a CSV of
/// <c>index,prediction,label</c> rows (class indices for registered datasets, the file's own labels for CSV).
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = ModelFiles.ModelOption();
        var data = new Option<string>("--data")
        {
            Description = $"Dataset: {string.Join(", ", DatasetRegistry.Names)}, or a CSV file (numeric features and a label column).",
            Required = true,
        };
        var split = new Option<string>("--split") { Description = "Split of a registered dataset: train or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("train", "test");
        var output = new Option<string?>("--out") { Description = "CSV file to write (index,prediction,label per example)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per forward pass.", DefaultValueFactory = _ => 1000 };
        var dataDir = DataCommand.DataDirOption();
        var command = new Command("predict", "Predict with a saved model (eval mode) and report the accuracy when the data has labels.")
        {
            model, data, split, output, batchSize, dataDir,
        };
        command.SetAction(parse => ModelFiles.Run(() => Predict(parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(split)!,
            parse.GetValue(output), parse.GetValue(batchSize), parse.GetValue(dataDir))));
        return command;
    }

    private static int Predict(string modelPath, string dataName, string split, string? outPath, int batchSize, string? dataDir)
    {
        if (batchSize < 1) throw new ModelFiles.UsageException($"--batch-size {batchSize} must be at least 1");
        string? output = outPath is null ? null : ModelFiles.OutputPath(outPath, "--out");
        var (model, _) = ModelFiles.Load(modelPath);
        var layout = ModelFiles.FirstLayer(model) is Conv2d ? ImageLayout.Image : ImageLayout.Flatten;
        var (dataset, classNames) = LoadData(dataName, split, layout, dataDir);

        // Prepared once for all batches (weights packed, as a serving session would); the same bits as model.Forward.
        using var prepared = InferenceModel.Create(model);
        int count = dataset.Count, classes = -1;
        var predictions = new int[count];
        var loader = new DataLoader(dataset, batchSize, shuffle: false);
        loader.StartEpoch();
        int row = 0;
        while (loader.TryNextBatch(out var x, out _))
        {
            Tensor y;
            try
            {
                y = prepared.Run(x);
            }
            catch (ArgumentException e)
            {
                throw new ModelFiles.UsageException($"--data {dataName}: its examples {x.ShapeString()} do not fit the model: {e.Message}");
            }
            if (y.Rank != 2) throw new ModelFiles.UsageException($"the model outputs {y.ShapeString()}, not class scores [N, classes]");
            classes = y.Dim(1);
            Classification.ArgMaxRows(y.Span, y.Dim(0), classes, predictions.AsSpan(row, y.Dim(0)));
            row += y.Dim(0);
        }

        bool labelled = dataset.NumClasses > 0 && dataset.Targets.Rank == 1;
        int correct = 0;
        if (labelled)
            for (int i = 0; i < count; i++) if (predictions[i] == (int)dataset.Targets[i]) correct++;
        if (output is not null) WriteCsv(output, predictions, labelled ? dataset.Targets : null, classNames);

        Console.WriteLine($"{dataset.Name}: {count.ToString(CultureInfo.InvariantCulture)} examples, {classes} classes predicted by {Path.GetFileName(modelPath)}");
        if (labelled)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"accuracy: {100.0 * correct / count:F2}% ({correct}/{count})"));
        if (output is not null) Console.WriteLine($"predictions → {output}");
        return 0;
    }

    private static (InMemoryDataset Data, IReadOnlyList<string> ClassNames) LoadData(string name, string split, ImageLayout layout, string? dataDir)
    {
        if (DatasetRegistry.Names.Contains(name, StringComparer.Ordinal))
        {
            try
            {
                var loaded = DatasetRegistry.Load(name, new DataOptions { DataDirectory = dataDir, Layout = layout });
                return (split == "train" ? loaded.Train : loaded.Test, []); // class indices, as the files store them
            }
            catch (Exception e) when (e is DatasetFetchException or IdxFormatException)
            {
                throw new ModelFiles.UsageException($"--data {name}: {e.Message}");
            }
        }
        if (!File.Exists(name))
            throw new ModelFiles.UsageException($"--data '{name}' is neither a registered dataset ({string.Join(", ", DatasetRegistry.Names)}) nor an existing CSV file");
        try
        {
            var csv = CsvDatasetLoader.Load(name);
            if (layout == ImageLayout.Image)
                throw new ModelFiles.UsageException($"--data '{name}': the model starts with a convolution and needs images; CSV rows are flat feature vectors");
            return (csv.Dataset, csv.ClassNames);
        }
        catch (Exception e) when (e is CsvDataException or IOException or ArgumentException)
        {
            throw new ModelFiles.UsageException($"--data: {e.Message}");
        }
    }

    private static void WriteCsv(string path, int[] predictions, Tensor? labels, IReadOnlyList<string> classNames)
    {
        string Name(int c) => c < classNames.Count ? Quote(classNames[c]) : c.ToString(CultureInfo.InvariantCulture);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.WriteLine(labels is null ? "index,prediction" : "index,prediction,label");
            for (int i = 0; i < predictions.Length; i++)
                writer.WriteLine(labels is null
                    ? $"{i.ToString(CultureInfo.InvariantCulture)},{Name(predictions[i])}"
                    : $"{i.ToString(CultureInfo.InvariantCulture)},{Name(predictions[i])},{Name((int)labels[i])}");
        });
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

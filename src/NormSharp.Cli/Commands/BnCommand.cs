using System.CommandLine;
using System.Globalization;
using NormSharp.Data;
using NormSharp.Data.Fetching;
using NormSharp.Diagnostics;
using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>normsharp bn recalibrate --model M --data NAME --batches K --out M2</c>: precise BN
/// (<see cref="PreciseBatchNorm"/>) — every BN layer's running statistics become the exact population
/// statistics of its inputs over K training batches; test accuracy is shown before and after.
/// </summary>
internal static class BnCommand
{
    public static Command Create()
    {
        var command = new Command("bn", "Batch Normalization tools.");
        command.Subcommands.Add(CreateRecalibrate());
        return command;
    }

    private static Command CreateRecalibrate()
    {
        var model = new Option<string>("--model") { Description = "The model (.safetensors) or training checkpoint to recalibrate.", Required = true };
        var data = ModelDataOptions.Data("Training data whose train split is run through the model.");
        data.Required = true;
        var batches = new Option<int>("--batches") { Description = "K, the number of training batches (pycls uses about 200).", DefaultValueFactory = _ => 100 };
        var batchSize = new Option<int?>("--batch-size") { Description = "Samples per batch (default: the training batch size recorded in the file, else 256)." };
        var output = new Option<string>("--out") { Description = "Where to write the recalibrated model (.safetensors).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the batch order.", DefaultValueFactory = _ => 0 };
        var skipEval = new Option<bool>("--skip-eval") { Description = "Do not measure test accuracy before and after." };
        var dataDir = DataCommand.DataDirOption();
        var standardize = ModelDataOptions.Standardize();
        var command = new Command("recalibrate", "Precise BN: replace running statistics by exact population statistics over K training batches.")
        {
            model, data, batches, batchSize, output, seed, skipEval, dataDir, standardize,
        };
        command.SetAction(parse =>
        {
            try
            {
                int k = parse.GetValue(batches);
                if (k < 1) throw new ArgumentException($"--batches must be at least 1, got {k}");
                var file = ModelFile.Load(parse.GetValue(model)!);
                int batch = parse.GetValue(batchSize) ?? file.BatchSize ?? 256;
                if (batch < 2) throw new ArgumentException($"--batch-size must be at least 2 (BN needs two samples per batch), got {batch}");
                string name = parse.GetValue(data)!;
                var split = ModelDataOptions.Load(name, parse.GetValue(dataDir), file, parse.GetValue(standardize));
                Run(file, split, name, k, batch, parse.GetValue(seed), parse.GetValue(output)!, !parse.GetValue(skipEval));
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or SafetensorsFormatException or ArgumentException
                                          or DatasetFetchException or UnauthorizedAccessException or InvalidOperationException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 2;
            }
        });
        return command;
    }

    private static void Run(ModelFile file, DatasetSplit split, string dataName, int k, int batch, ulong seed, string outPath, bool evaluate)
    {
        var model = file.Model;
        int layers = model.NamedModules().Count(m => m.Module is BatchNormBase { TrackRunningStats: true });
        if (layers == 0) throw new ArgumentException($"'{file.Path}' has no BN layer with running statistics: nothing to recalibrate");
        if (split.Train.Count < batch) throw new ArgumentException($"--batch-size {batch} exceeds the {split.Train.Count} training examples");
        (double Train, double Eval)? before = evaluate ? BatchNormDoctor.MeasureTrainEvalGap(model, split.Test) : null;
        var loader = new DataLoader(split.Train, batch, shuffle: true, seed: seed, dropLast: true);
        int used = PreciseBatchNorm.Recalibrate(model, Batches(loader, k));
        var metadata = file.Metadata.Where(p => p.Key is not ("format" or ModelIO.ArchitectureKey or Checkpoint.MetadataKey))
                                    .ToDictionary(p => p.Key, p => p.Value);
        metadata["normsharp.precise_bn"] = FormattableString.Invariant($"{used} batches of {batch} from {dataName}/train, seed {seed}");
        ModelIO.Save(model, outPath, metadata);
        Console.WriteLine($"recalibrated {layers} BN layers of {file.Path} on {used} batches of {batch} ({(long)used * batch} examples of {dataName}/train) → {outPath}");
        if (before is { } b)
        {
            var after = BatchNormDoctor.MeasureTrainEvalGap(model, split.Test);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test accuracy, eval mode (running statistics): {b.Eval * 100:0.00}% before, {after.EvalMode * 100:0.00}% after; batch statistics: {b.Train * 100:0.00}%"));
        }
    }

    /// <summary>K batches from <paramref name="loader"/>, starting new epochs as needed.</summary>
    private static IEnumerable<Tensor> Batches(DataLoader loader, int k)
    {
        loader.StartEpoch();
        for (int i = 0; i < k; i++)
        {
            if (!loader.TryNextBatch(out var x, out _))
            {
                loader.StartEpoch();
                loader.TryNextBatch(out x, out _);
            }
            yield return x;
        }
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using NormSharp.Cli.Transfer;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>normsharp transfer --from pretrained.safetensors --restore REGEX [--freeze REGEX] [--cache-frozen]
/// --dataset NAME --classes 5-9 [--epochs E] [--save out.safetensors]</c>: seed 002's layer reuse on a
/// saved model — rebuild its architecture freshly initialised (a new output layer when the class count
/// differs), restore the tensors whose names match REGEX, freeze those matching the freeze pattern
/// (BN layers in inference mode), optionally cache the frozen layers' outputs, train on the chosen
/// classes, and save.
/// </summary>
internal static class TransferCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "Pretrained model (.safetensors written by NormSharp, with its architecture).", Required = true };
        var restore = new Option<string>("--restore") { Description = "Regex over the file's tensor names to restore, e.g. '^[0-5]\\.' (seed 002: 'hidden[123]').", Required = true };
        var freeze = new Option<string?>("--freeze") { Description = "Regex over the model's parameter names to freeze (BN layers matching it run in inference mode)." };
        var cache = new Option<bool>("--cache-frozen") { Description = "Run the data once through the leading frozen layers and train the rest on their cached outputs." };
        var dataset = new Option<string>("--dataset") { Description = $"Dataset: {string.Join(", ", DatasetRegistry.Names)}.", DefaultValueFactory = _ => "mnist" };
        var classes = new Option<string>("--classes") { Description = "Classes of the new task, e.g. '5-9' or '0,2,4' (relabelled 0…k−1 in this order).", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int>("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => 128 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-3f };
        var limit = new Option<int?>("--train-limit") { Description = "Use only the first N training examples of the chosen classes." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the new layers' initialisation and of the batch order.", DefaultValueFactory = _ => 42 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Dataset cache folder (default: the registry's)." };
        var save = new Option<string?>("--save") { Description = "Where to save the trained model (.safetensors)." };
        var command = new Command("transfer", "Reuse layers of a saved model for a new task: restore by regex, freeze, cache frozen outputs, train, save.")
        {
            from, restore, freeze, cache, dataset, classes, epochs, batchSize, lr, limit, seed, dataDir, save,
        };
        command.SetAction(parse =>
        {
            var settings = new TransferSettings(parse.GetValue(from)!, parse.GetValue(restore)!, parse.GetValue(freeze), parse.GetValue(cache),
                parse.GetValue(dataset)!, parse.GetValue(classes)!, parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(lr),
                parse.GetValue(limit), parse.GetValue(seed), parse.GetValue(dataDir), parse.GetValue(save));
            try
            {
                return Run(settings);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or SafetensorsFormatException or NotSupportedException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static int Run(TransferSettings s)
    {
        if (s.Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {s.Epochs}");
        if (s.BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {s.BatchSize}");
        if (s.TrainLimit is < 1) throw new ArgumentException($"--train-limit must be at least 1, got {s.TrainLimit}");
        if (!File.Exists(s.From)) throw new FileNotFoundException($"--from: no file '{s.From}'", s.From);
        var file = SafetensorsFile.Read(s.From);
        if (!file.Metadata.TryGetValue(ModelIO.ArchitectureKey, out var json))
            throw new InvalidDataException($"--from '{s.From}' holds weights only (no '{ModelIO.ArchitectureKey}' metadata): save the pretrained model with ModelIO.Save");
        RandomState.ManualSeed(s.Seed);
        if (ArchitectureJson.Deserialize(json) is not Sequential model)
            throw new InvalidDataException($"--from '{s.From}': transfer needs a Sequential model (layers in order)");

        var split = DatasetRegistry.Load(s.Dataset, new DataOptions
        {
            DataDirectory = s.DataDirectory,
            Layout = model.Layers.FirstOrDefault() is Conv2d ? ImageLayout.Image : ImageLayout.Flatten,
        });
        int[] classList = ClassSubset.Parse(s.Classes, split.Train.NumClasses);
        model = WithOutputs(model, classList.Length);

        var restored = PartialRestore.Restore(model, StateDictCodec.Extract(file), new System.Text.RegularExpressions.Regex(s.Restore, System.Text.RegularExpressions.RegexOptions.CultureInvariant), sourceName: s.From);
        Console.WriteLine($"restore '{s.Restore}' from {s.From}:");
        Console.WriteLine($"  loaded ({restored.Loaded.Count}): {string.Join(", ", restored.Loaded)}");
        Console.WriteLine($"  skipped ({restored.Skipped.Count}): {string.Join(", ", restored.Skipped.Select(e => $"{e.Name} ({e.Reason})"))}");
        Console.WriteLine($"  missing ({restored.Missing.Count}): {string.Join(", ", restored.Missing)}");
        if (restored.Loaded.Count == 0) Console.WriteLine("  warning: nothing was restored; the model trains from its fresh initialisation");
        if (s.Freeze is { } pattern) Console.WriteLine($"frozen '{pattern}': {Freezing.Freeze(model, pattern)}");

        var train = ClassSubset.Select(split.Train, classList, s.TrainLimit);
        var test = ClassSubset.Select(split.Test, classList);
        Console.WriteLine($"task: {s.Dataset} classes {string.Join(",", classList)} → 0…{classList.Length - 1}; {train.Count} training, {test.Count} test examples");

        var clock = Stopwatch.StartNew();
        Sequential trained = model;
        InMemoryDataset trainData = train, testData = test;
        if (s.CacheFrozen)
        {
            int frozen = FrozenLayers.LeadingFrozenCount(model);
            if (frozen == 0)
                throw new ArgumentException("--cache-frozen: the model's first layer is not frozen (use --freeze with a pattern covering the leading layers)");
            var frozenCache = FrozenPrefixCache.Create(model, frozen);
            trainData = frozenCache.Transform(train);
            testData = frozenCache.Transform(test);
            trained = frozenCache.Suffix;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cached the outputs of the first {frozen} layers ({frozenCache.Prefix.Describe()}) in {clock.Elapsed.TotalSeconds:F2} s"));
        }
        var parameters = trained.NamedParameters().Select(p => p.Parameter).Where(p => p.RequiresGrad).ToList();
        if (parameters.Count == 0) throw new ArgumentException("--freeze froze every parameter: nothing left to train");
        var trainer = new Trainer(trained, new CrossEntropyLoss(), new Adam(parameters, s.LearningRate));
        var fit = trainer.Fit(new DataLoader(trainData, s.BatchSize, shuffle: true, seed: s.Seed), new FitOptions
        {
            Epochs = s.Epochs,
            Validation = testData,
            Callbacks = [new ProgressCallback(onEvaluation: (_, r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {r.Epoch}: loss {r.TrainLoss:F4}, train acc {r.TrainAccuracy:F4}, test acc {r.ValidationAccuracy:F4}")))],
        });
        var final = new Trainer(model, new CrossEntropyLoss(), new Sgd(parameters, 0f)).Evaluate(test);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test accuracy {final.Accuracy:F4} on {test.Count} examples; trained {parameters.Sum(p => p.Value.Size):N0} parameters in {clock.Elapsed.TotalSeconds:F2} s ({fit.ExamplesPerSecond:F0} examples/s)"));
        if (s.Save is { } path)
        {
            ModelIO.Save(model, path, new Dictionary<string, string>
            {
                ["normsharp.transfer.from"] = Path.GetFileName(s.From),
                ["normsharp.transfer.dataset"] = s.Dataset,
                ["normsharp.transfer.classes"] = string.Join(",", classList),
            });
            Console.WriteLine($"saved {Path.GetFullPath(path)}");
        }
        return 0;
    }

    /// <summary>The model with a fresh output layer when its last Dense does not have <paramref name="classes"/> outputs.</summary>
    private static Sequential WithOutputs(Sequential model, int classes)
    {
        if (model.Layers[^1] is not Dense head)
            throw new InvalidDataException($"transfer expects the model to end with a Dense output layer, found {model.Layers[^1].Describe()}");
        if (head.OutFeatures == classes) return model;
        Console.WriteLine($"new output layer: Dense({head.InFeatures} → {classes}) replaces Dense({head.InFeatures} → {head.OutFeatures})");
        return new Sequential(model.Layers.Take(model.Count - 1).Append(new Dense(head.InFeatures, classes, head.Bias)));
    }

    private sealed record TransferSettings(string From, string Restore, string? Freeze, bool CacheFrozen, string Dataset, string Classes,
        int Epochs, int BatchSize, float LearningRate, int? TrainLimit, ulong Seed, string? DataDirectory, string? Save);
}

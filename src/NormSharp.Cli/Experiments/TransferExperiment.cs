using System.Diagnostics;
using System.Globalization;
using NormSharp.Cli.Reporting;
using NormSharp.Cli.Transfer;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// Seed 002 (深度学习三人行 第4期, §2 "提升训练时间"): train a 5-hidden-layer MLP on MNIST digits 0–4,
/// then learn digits 5–9 by reusing its lower three hidden layers (restored by the regular expression
/// <c>hidden[123]</c>), fine-tuned or frozen, with and without caching the frozen layers' output, and from
/// scratch. Records accuracy and wall time of each variant, in a small-data and a full-data regime.
/// </summary>
public sealed class TransferExperiment : IExperiment
{
    /// <summary>Hidden sizes hidden1…hidden5 (the Hands-On-ML model the seed follows: 300, then narrower layers).</summary>
    public static IReadOnlyList<int> HiddenSizes { get; } = [300, 100, 50, 50, 50];

    /// <summary>The lower layers reused: hidden1–3.</summary>
    public const int ReusedHidden = 3;

    /// <summary>The seed's restore pattern (over the seed names of <see cref="SeedLayerNames"/>).</summary>
    public const string RestorePattern = @"^hidden[123]\.";

    internal const int PretrainEpochs = 10, QuickPretrainEpochs = 2, QuickPretrainExamples = 3000;

    /// <inheritdoc />
    public string Name => "transfer";

    /// <inheritdoc />
    public string Description => "Seed 002: reuse the lower layers of an MNIST 0–4 MLP for digits 5–9 — restored by regex, frozen, frozen-output cache, vs from scratch: accuracy and wall time";

    /// <summary>The variants trained on digits 5–9.</summary>
    internal static readonly string[] Variants = ["scratch", "reuse + fine-tune all", "reuse + freeze hidden1-3", "reuse + freeze + cache"];

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        var mnist = DatasetRegistry.Load("mnist", new DataOptions { DataDirectory = options.DataDirectory });
        var lowTrain = ClassSubset.Select(mnist.Train, [0, 1, 2, 3, 4], options.Quick ? QuickPretrainExamples : null);
        var lowTest = ClassSubset.Select(mnist.Test, [0, 1, 2, 3, 4]);
        var highTrain = ClassSubset.Select(mnist.Train, [5, 6, 7, 8, 9]);
        var highTest = ClassSubset.Select(mnist.Test, [5, 6, 7, 8, 9]);

        // 1. The pretrained model on digits 0–4, saved under the seed's scope names.
        var pretrained = NewModel(new Rng(options.Seed));
        var pretrainClock = Stopwatch.StartNew();
        var pretrainFit = Fit(pretrained, lowTrain, lowTest, options.Quick ? QuickPretrainEpochs : PretrainEpochs, 128, options.Seed, reporter.Progress, "transfer: pretrain on digits 0-4");
        double pretrainSeconds = pretrainClock.Elapsed.TotalSeconds;
        string pretrainedPath = reporter.PathOf("pretrained_digits_0-4.safetensors");
        var file = new SafetensorsFile();
        file.Metadata["format"] = "pt";
        StateDictCodec.Add(file, SeedLayerNames.Rename(pretrained.StateDict(), HiddenSizes.Count));
        file.Write(pretrainedPath);
        reporter.Progress.Log(string.Create(CultureInfo.InvariantCulture, $"transfer: pretrained on digits 0-4, test acc {pretrainFit.Final!.ValidationAccuracy:F4} in {pretrainSeconds:F1} s"));

        // 2. Digits 5–9 in two regimes: the seed's "less training data" case and all of it.
        var regimes = new List<TransferRegime>
        {
            new("100 per digit", ClassSubset.PerClass(highTrain, 100), options.Quick ? 10 : 30, 32),
            new(options.Quick ? "first 3000" : "all", options.Quick ? Head(highTrain, 3000) : highTrain, options.Quick ? 2 : 5, 128),
        };
        var runs = new List<TransferRun>();
        RestoreReport? restoreReport = null;
        foreach (var regime in regimes)
            foreach (string variant in Variants)
            {
                var (run, report) = RunVariant(variant, regime, highTest, pretrainedPath, options.Seed, reporter.Progress);
                restoreReport ??= report;
                runs.Add(run);
                reporter.Progress.Log(string.Create(CultureInfo.InvariantCulture,
                    $"transfer {regime.Name}, {variant}: test acc {run.TestAccuracy:F4}, training {run.TrainSeconds:F2} s (+ cache {run.CacheSeconds:F2} s)"));
            }
        TransferReport.Write(reporter, Name, runs, regimes, restoreReport!, pretrainFit.Final!.ValidationAccuracy ?? double.NaN, pretrainSeconds, options.Quick);
        File.Delete(pretrainedPath); // a 1 MB binary: the report describes it; the repository keeps CSV, PNG and Markdown only
    }

    /// <summary>One variant of one regime: a fresh model (same initial weights for every variant), then the reuse steps of seed 002.</summary>
    private static (TransferRun Run, RestoreReport? Report) RunVariant(string variant, TransferRegime regime, InMemoryDataset test, string pretrainedPath,
        ulong seed, IProgressSink progress)
    {
        var model = NewModel(new Rng(seed + 1));
        RestoreReport? report = null;
        int frozenLayers = ReusedHidden * SeedLayerNames.BlockSize;
        if (variant != "scratch")
            report = PartialRestore.Restore(model, pretrainedPath, RestorePattern, name => SeedLayerNames.ToPositional(name, HiddenSizes.Count));
        if (variant.Contains("freeze", StringComparison.Ordinal))
            Freezing.Freeze(model, Freezing.PrefixPattern(frozenLayers)); // hidden1–3: Dense, BN (inference mode), ELU each
        string label = $"transfer {regime.Name}: {variant}";
        var clock = Stopwatch.StartNew();
        double cacheSeconds = 0;
        FitResult fit;
        if (variant.EndsWith("cache", StringComparison.Ordinal))
        {
            // Seed 002 §2.5: run the data through the frozen layers once, train the upper layers on the cached outputs.
            // Only the training set's cache is training cost; the test set's is evaluation (like the per-epoch evaluations).
            var cache = FrozenPrefixCache.Create(model, frozenLayers);
            var cachedTrain = cache.Transform(regime.Train);
            cacheSeconds = clock.Elapsed.TotalSeconds;
            var cachedTest = cache.Transform(test);
            fit = Fit(cache.Suffix, cachedTrain, cachedTest, regime.Epochs, regime.BatchSize, seed, progress, label);
        }
        else fit = Fit(model, regime.Train, test, regime.Epochs, regime.BatchSize, seed, progress, label);
        double wallSeconds = clock.Elapsed.TotalSeconds;
        // The whole model on the raw test images: with caching this checks the suffix trained the model itself.
        var final = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.NamedParameters().Select(p => p.Parameter), 0f)).Evaluate(test);
        int trainable = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).Sum(p => p.Parameter.Value.Size);
        return (new TransferRun(regime.Name, variant, regime.Train.Count, regime.Epochs, fit.History, final.Accuracy ?? double.NaN,
            fit.TrainingSeconds + cacheSeconds, cacheSeconds, wallSeconds, fit.ExamplesPerSecond, trainable), report);
    }

    /// <summary>784 → hidden1…5 (Dense → BN → ELU) → 5 logits.</summary>
    internal static Sequential NewModel(Rng rng) => ModelZoo.Mlp(784, HiddenSizes, 5,
        new ModelOptions { Activation = "elu", Normalization = NormalizationKind.BatchNorm, Rng = rng });

    /// <summary>Adam (lr 1e-3) on <paramref name="trained"/>'s trainable parameters, evaluating every epoch.</summary>
    private static FitResult Fit(Sequential trained, InMemoryDataset train, InMemoryDataset test, int epochs, int batchSize, ulong seed,
        IProgressSink progress, string label)
    {
        var trainer = new Trainer(trained, new CrossEntropyLoss(), new Adam(trained.NamedParameters().Select(p => p.Parameter).Where(p => p.RequiresGrad)));
        var loader = new DataLoader(train, batchSize, shuffle: true, seed: seed);
        var task = progress.Start(label, (double)epochs * loader.BatchesPerEpoch);
        var result = trainer.Fit(loader, new FitOptions
        {
            Epochs = epochs,
            Validation = test,
            Callbacks = [new ProgressCallback(onStepEnd: _ => task.Increment())],
        });
        task.Complete();
        return result;
    }

    private static InMemoryDataset Head(InMemoryDataset data, int count) =>
        data.Subset(Enumerable.Range(0, Math.Min(count, data.Count)).ToArray(), $"{data.Name} (first {count})");
}

/// <summary>A training set of digits 5–9 and how long to train on it.</summary>
internal sealed record TransferRegime(string Name, InMemoryDataset Train, int Epochs, int BatchSize);

/// <summary>The outcome of one variant in one regime. <see cref="TrainSeconds"/>: the optimizer steps plus, when
/// cached, building the training set's cache (evaluations excluded); <see cref="WallSeconds"/>: everything, the
/// per-epoch test evaluations included.</summary>
internal sealed record TransferRun(string Regime, string Variant, int TrainExamples, int Epochs, IReadOnlyList<FitRecord> History,
    double TestAccuracy, double TrainSeconds, double CacheSeconds, double WallSeconds, double ExamplesPerSecond, int TrainableParameters)
{
    /// <summary>Seconds of the fastest epoch (optimizer steps only): the machine's cores are shared with other jobs, and the
    /// fastest of several epochs is the least disturbed measurement of the same work.</summary>
    public double FastestEpochSeconds => TrainExamples / History.Max(r => r.ExamplesPerSecond);
}

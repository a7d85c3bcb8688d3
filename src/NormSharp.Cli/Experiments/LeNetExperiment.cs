using System.Globalization;
using NormSharp.Cli.Reporting;
using NormSharp.Data;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Training;
using ScottPlot.TickGenerators;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// Seed 004 (d2l §7.5 "Batch Normalization"): LeNet-5 with sigmoid on Fashion-MNIST, SGD, batch 256,
/// 10 epochs, (a) with the from-scratch BN (reference kernels), (b) with the fused BN layers — both at
/// lr 1.0 — and (c) without BN at lr 0.9. Writes the per-epoch loss / train / test accuracy / examples
/// per second of each variant, the learned γ and β of the first BN layer, and the learning curves.
/// </summary>
public sealed class LeNetExperiment : IExperiment
{
    /// <summary>d2l: <c>batch_size = 256</c>.</summary>
    public const int BatchSize = 256;

    /// <summary>d2l: <c>num_epochs = 10</c>.</summary>
    public const int Epochs = 10;

    /// <summary>The seed's result for the fused BN ("concise implementation"): loss 0.248, train acc 0.908, test acc 0.869.</summary>
    public const double SeedFusedLoss = 0.248, SeedFusedTrainAccuracy = 0.908, SeedFusedTestAccuracy = 0.869;

    /// <summary>The seed's result for the from-scratch BN: loss 0.250, train acc 0.907, test acc 0.801.</summary>
    public const double SeedScratchLoss = 0.250, SeedScratchTrainAccuracy = 0.907, SeedScratchTestAccuracy = 0.801;

    /// <summary>The acceptance band of the full run: the fused net's final train accuracy within 2 points of the seed's.</summary>
    public const double TrainAccuracyTolerance = 0.02;

    /// <summary>Quick mode: examples of the training and test sets, and epochs.</summary>
    internal const int QuickTrain = 7680, QuickTest = 2000, QuickEpochs = 3;

    /// <inheritdoc />
    public string Name => "lenet";

    /// <inheritdoc />
    public string Description => "Seed 004: LeNet-5 (sigmoid) on Fashion-MNIST with from-scratch BN, fused BN and no BN — loss, accuracy, examples/s, learned γ/β";

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        var data = DatasetRegistry.Load("fashion-mnist", new DataOptions { DataDirectory = options.DataDirectory, Layout = ImageLayout.Image });
        var train = options.Quick ? Head(data.Train, QuickTrain) : data.Train;
        var test = options.Quick ? Head(data.Test, QuickTest) : data.Test;
        int epochs = options.Quick ? QuickEpochs : Epochs;

        var epochTable = new CsvTable("variant", "lr", "epoch", "loss", "train_acc", "test_acc", "examples_per_s", "elapsed_s");
        var affineTable = new CsvTable("variant", "parameter", "channel", "value");
        var runs = new List<LeNetRun>();
        foreach (var variant in (LeNetVariant[])[LeNetVariant.ScratchBatchNorm, LeNetVariant.FusedBatchNorm, LeNetVariant.NoBatchNorm])
        {
            var run = Train(variant, train, test, epochs, options.Seed, reporter.Progress);
            runs.Add(run);
            foreach (var r in run.History)
                epochTable.Add(Label(variant), run.LearningRate, r.Epoch, r.TrainLoss, r.TrainAccuracy, r.ValidationAccuracy, r.ExamplesPerSecond, r.ElapsedSeconds);
            if (run.Affine is var (gamma, beta))
            {
                for (int c = 0; c < gamma.Length; c++) affineTable.Add(Label(variant), "gamma", c, gamma[c]);
                for (int c = 0; c < beta.Length; c++) affineTable.Add(Label(variant), "beta", c, beta[c]);
            }
            var last = run.History[^1];
            reporter.Progress.Log(string.Create(CultureInfo.InvariantCulture,
                $"lenet {Label(variant)}: loss {last.TrainLoss:F3}, train acc {last.TrainAccuracy:F3}, test acc {last.ValidationAccuracy:F3}, {run.ExamplesPerSecond:F0} examples/sec"));
        }
        reporter.WriteCsv("epochs.csv", epochTable);
        reporter.WriteCsv("bn_affine.csv", affineTable);
        SavePlots(reporter, runs);
        var section = new MarkdownSection("lenet — LeNet-5 with and without BN on Fashion-MNIST (seed 004)");
        LeNetReport.Describe(section, runs, options.Quick, train.Count, test.Count, epochs);
        reporter.WriteSection(Name, section);
    }

    /// <summary>The label of <paramref name="variant"/> in tables, legends and CSV files.</summary>
    internal static string Label(LeNetVariant variant) => variant switch
    {
        LeNetVariant.ScratchBatchNorm => "scratch BN",
        LeNetVariant.FusedBatchNorm => "fused BN",
        _ => "no BN",
    };

    /// <summary>Trains one variant as d2l's <c>train_ch6</c>: SGD without momentum, mean cross-entropy, training
    /// metrics accumulated over each epoch in training mode, test accuracy in eval mode after each epoch.</summary>
    private static LeNetRun Train(LeNetVariant variant, InMemoryDataset train, InMemoryDataset test, int epochs, ulong seed, IProgressSink progress)
    {
        // Same seed for every variant: (a) and (b) start from identical weights and see the batches in the same order.
        var net = SeedLeNet.Create(variant, new Rng(seed));
        float lr = SeedLeNet.LearningRate(variant);
        var trainer = new Trainer(net, new CrossEntropyLoss(), new Sgd(net.NamedParameters().Select(p => p.Parameter), lr));
        var loader = new DataLoader(train, BatchSize, shuffle: true, seed: seed);
        var task = progress.Start($"lenet {Label(variant)} ({epochs} epochs)", (double)epochs * loader.BatchesPerEpoch);
        var result = trainer.Fit(loader, new FitOptions
        {
            Epochs = epochs,
            Validation = test,
            Callbacks = [new ProgressCallback(onStepEnd: _ => task.Increment())],
        });
        task.Complete();
        return new LeNetRun(variant, lr, result.History, result.ExamplesPerSecond, SeedLeNet.FirstBatchNormAffine(net));
    }

    private static void SavePlots(ExperimentReporter reporter, IReadOnlyList<LeNetRun> runs)
    {
        var accuracy = new List<Series>();
        var loss = new List<Series>();
        foreach (var run in runs)
        {
            double[] epochs = [.. run.History.Select(r => (double)r.Epoch)];
            accuracy.Add(new Series($"{Label(run.Variant)}: train acc", epochs, [.. run.History.Select(r => r.TrainAccuracy ?? double.NaN)], Markers: true));
            accuracy.Add(new Series($"{Label(run.Variant)}: test acc", epochs, [.. run.History.Select(r => r.ValidationAccuracy ?? double.NaN)], Dashed: true, Markers: true));
            loss.Add(new Series($"{Label(run.Variant)} (lr {run.LearningRate.ToString("0.0", CultureInfo.InvariantCulture)})", epochs, [.. run.History.Select(r => r.TrainLoss)], Markers: true));
        }
        var accuracyPlot = Charts.Line("LeNet-5 (sigmoid) on Fashion-MNIST: accuracy per epoch",
            "epoch", "accuracy (train: solid, test: dashed)", accuracy, legendBelow: true);
        accuracyPlot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        reporter.SavePng("accuracy.png", accuracyPlot, height: 640);
        var lossPlot = Charts.Line("LeNet-5 (sigmoid) on Fashion-MNIST: training loss per epoch",
            "epoch", "mean training cross-entropy over the epoch", loss);
        lossPlot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        reporter.SavePng("loss.png", lossPlot);
        reporter.SavePng("throughput.png", Charts.GroupedBars("LeNet-5 training throughput (this machine)", "variant",
            "training examples per second", [.. runs.Select(r => Label(r.Variant))],
            [("examples/s over the whole run", [.. runs.Select(r => r.ExamplesPerSecond)])]));
        var withBn = runs.Where(r => r.Affine is not null).ToList();
        if (withBn.Count == 0) return;
        int channels = withBn[0].Affine!.Value.Gamma.Length;
        string[] categories = [.. Enumerable.Range(0, channels).Select(c => $"channel {c}")];
        var gammaBeta = new List<(string, double[])>();
        foreach (var run in withBn)
        {
            gammaBeta.Add(($"{Label(run.Variant)}: γ", [.. run.Affine!.Value.Gamma.Select(v => (double)v)]));
            gammaBeta.Add(($"{Label(run.Variant)}: β", [.. run.Affine!.Value.Beta.Select(v => (double)v)]));
        }
        reporter.SavePng("first_bn_gamma_beta.png", Charts.GroupedBars("Learned γ (scale) and β (shift) of the first BN layer (after conv1)",
            "output channel of the first convolution", "value", categories, gammaBeta));
    }

    /// <summary>The first <paramref name="count"/> examples (Fashion-MNIST's files are not sorted by class).</summary>
    private static InMemoryDataset Head(InMemoryDataset data, int count)
    {
        var indices = Enumerable.Range(0, Math.Min(count, data.Count)).ToArray();
        return data.Subset(indices, $"{data.Name} (first {indices.Length})");
    }
}

/// <summary>The outcome of training one LeNet variant.</summary>
internal sealed record LeNetRun(LeNetVariant Variant, float LearningRate, IReadOnlyList<FitRecord> History, double ExamplesPerSecond,
    (float[] Gamma, float[] Beta)? Affine);

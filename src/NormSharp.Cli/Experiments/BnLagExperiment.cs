using NormSharp.Cli.Reporting;
using NormSharp.Data;
using NormSharp.Diagnostics;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// The eval-mode lag of a slow BN moving average, and precise BN as its cure: the seed-000 7-layer MLP
/// with Keras's BN (momentum 0.99 = 0.01 here, ε 1e-3) trained on MNIST; at steps 10, 20, 50, … the test
/// accuracy in eval mode (running statistics), after recalibrating a copy with
/// <see cref="PreciseBatchNorm.Recalibrate"/>, and with batch statistics; plus the running-statistics
/// accuracy of the same run with PyTorch's momentum 0.1.
/// </summary>
public sealed class BnLagExperiment : IExperiment
{
    private const int BatchSize = 128;

    /// <summary>Keras's BatchNormalization(momentum=0.99) in PyTorch's convention.</summary>
    public const float KerasMomentum = 0.01f;

    /// <inheritdoc />
    public string Name => "bn-lag";

    /// <inheritdoc />
    public string Description => "Seed 000/001: eval-mode accuracy lags with Keras's BN momentum 0.99 early in training; precise BN recalibration removes the lag";

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        int[] checkpoints = options.Quick ? [10, 20, 50, 100] : [10, 20, 50, 100, 200, 500, 1000];
        int recalibrationBatches = options.Quick ? 10 : 50;
        var split = DatasetRegistry.Load("mnist", new DataOptions { DataDirectory = options.DataDirectory, Standardize = true });
        var test = options.Quick ? split.Test.Subset(Enumerable.Range(0, 2000).ToArray()) : split.Test;
        var table = new CsvTable("momentum", "step", "eval_running", "eval_recalibrated", "batch_statistics");
        var curves = new Dictionary<string, List<double>>();
        foreach (float momentum in (float[])[KerasMomentum, 0.1f])
        {
            var model = ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, new ModelOptions
            {
                Normalization = NormalizationKind.BatchNorm, BatchNormMomentum = momentum, BatchNormEps = 1e-3f, Rng = new Rng(options.Seed),
            });
            var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter)));
            var loader = new DataLoader(split.Train, BatchSize, shuffle: true, seed: options.Seed, dropLast: true);
            var recalibrationLoader = new DataLoader(split.Train, BatchSize, shuffle: true, seed: options.Seed + 1, dropLast: true);
            var task = reporter.Progress.Start($"bn-lag momentum {momentum}", checkpoints[^1]);
            loader.StartEpoch();
            int step = 0;
            foreach (int checkpoint in checkpoints)
            {
                for (; step < checkpoint; step++)
                {
                    if (!loader.TryNextBatch(out var x, out var y)) { loader.StartEpoch(); loader.TryNextBatch(out x, out y); }
                    trainer.TrainStep(x, y);
                    task.Increment();
                }
                var (batchStats, running) = BatchNormDoctor.MeasureTrainEvalGap(model, test, 256);
                var copy = ModelCopy.Clone(model);
                PreciseBatchNorm.Recalibrate(copy, Batches(recalibrationLoader, recalibrationBatches));
                var (_, recalibrated) = BatchNormDoctor.MeasureTrainEvalGap(copy, test, 256);
                table.Add(momentum, step, running, recalibrated, batchStats);
                Add(curves, $"running, momentum {momentum}", running);
                if (momentum == KerasMomentum)
                {
                    Add(curves, "recalibrated (precise BN)", recalibrated);
                    Add(curves, "batch statistics", batchStats);
                }
                reporter.Progress.Log($"bn-lag momentum {momentum} step {step}: running {running:P1}, recalibrated {recalibrated:P1}, batch statistics {batchStats:P1}");
            }
            task.Complete();
        }
        reporter.WriteCsv("lag.csv", table);
        var xs = checkpoints.Select(c => (double)c).ToArray();
        string[] order = [$"running, momentum {KerasMomentum}", "recalibrated (precise BN)", "batch statistics", "running, momentum 0.1"];
        var series = order.Select(name => new Series(name switch
        {
            var n when n == order[0] => "eval mode, running statistics (Keras momentum 0.99)",
            var n when n == order[3] => "eval mode, running statistics (PyTorch momentum 0.1)",
            "batch statistics" => "batch statistics (train-mode BN)",
            _ => $"eval mode after precise BN ({recalibrationBatches} batches)",
        }, xs, [.. curves[name].Select(a => a * 100)], Dashed: name == order[3], Markers: true)).ToList();
        var plot = Charts.Line("BN eval-mode lag: 7-layer MLP on MNIST, batch 128", "training step (log scale)", "test accuracy (%)",
            series, logX: true, legendBelow: true);
        plot.Axes.Bottom.SetTicks([.. checkpoints.Select(c => Math.Log10(c))], [.. checkpoints.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        reporter.SavePng("lag.png", plot, 900, 620);
        WriteSection(reporter, table, checkpoints, recalibrationBatches, test.Count);
    }

    private void WriteSection(ExperimentReporter reporter, CsvTable table, int[] checkpoints, int batches, int testCount)
    {
        var section = new MarkdownSection("bn-lag — eval-mode lag of a slow BN average, removed by precise BN");
        section.Paragraph(
            "Keras's BatchNormalization keeps 99% of the old running value per batch (momentum 0.99, PyTorch's 0.01): after t steps the running " +
            "statistics still hold 0.99^t of their initial mean 0 / variance 1 (61% at step 50), while the network's activations have moved on. " +
            "Eval mode normalises with these stale averages, so its accuracy lags the network's. Precise BN (pycls/Detectron; Wu and Johnson 2021) " +
            $"replaces them by the exact population statistics of {batches} training batches of {BatchSize}: `PreciseBatchNorm.Recalibrate`, " +
            $"`normsharp bn recalibrate`. Test accuracy on {testCount:N0} MNIST test images; Adam lr 1e-3, BN ε 1e-3.");
        section.Figure("lag.png", "eval accuracy lag", Caption(table, checkpoints));
        section.Table(["momentum", "step", "eval, running stats", "eval, after precise BN", "batch statistics"],
            table.Rows.Select(r => (IReadOnlyList<string>)[CsvTable.Format(r[0]), CsvTable.Format(r[1]),
                MarkdownSection.Cell((double)r[2]! * 100, "0.0") + "%", MarkdownSection.Cell((double)r[3]! * 100, "0.0") + "%",
                MarkdownSection.Cell((double)r[4]! * 100, "0.0") + "%"]));
        section.DataLink("lag.csv", "accuracies at each step (fractions)");
        reporter.WriteSection(Name, section);
    }

    private static string Caption(CsvTable table, int[] checkpoints)
    {
        var keras50 = table.Rows.First(r => (float)r[0]! == KerasMomentum && (int)r[1]! >= 50);
        // First checkpoint where each momentum's running statistics are within 1 point of the recalibrated ones.
        string CatchUp(float momentum) => table.Rows.FirstOrDefault(r => (float)r[0]! == momentum && (double)r[3]! - (double)r[2]! <= 0.01) is { } row
            ? $"by step {row[1]}" : $"not by step {checkpoints[^1]}";
        return (
            $"Test accuracy against the training step. At step {keras50[1]} with Keras's momentum, eval mode with the running statistics reaches " +
            $"{P(keras50[2])}%, the same weights after precise BN {P(keras50[3])}%, and batch statistics " +
            $"{P(keras50[4])}%: recalibration closes the gap the slow average leaves. The running statistics come within 1 point of " +
            $"the recalibrated accuracy {CatchUp(KerasMomentum)} with momentum 0.01 (Keras 0.99) and {CatchUp(0.1f)} with PyTorch's 0.1 (dashed line; " +
            "a second run from the same seed — the momentum does not change training, only eval mode).");
    }

    private static string P(object? fraction) => ((double)fraction! * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    private static void Add(Dictionary<string, List<double>> curves, string name, double value)
    {
        if (!curves.TryGetValue(name, out var list)) curves[name] = list = [];
        list.Add(value);
    }

    private static IEnumerable<Tensor> Batches(DataLoader loader, int k)
    {
        loader.StartEpoch();
        for (int i = 0; i < k; i++)
        {
            if (!loader.TryNextBatch(out var x, out _)) { loader.StartEpoch(); loader.TryNextBatch(out x, out _); }
            yield return x;
        }
    }
}

using NormSharp.Cli.Reporting;
using NormSharp.Data;
using NormSharp.Models;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// BN's weakness with small batches (seed 004, d2l: "with a batch of size 1 we learn nothing") and the
/// fixes: the seed-000 7-layer MLP on MNIST and the seed-004 LeNet on Fashion-MNIST at batch sizes 2, 4,
/// 8, 32 and 256 with BN, Batch Renorm, Ghost BN, GroupNorm, LayerNorm and no normalization, each for the
/// same budget of training examples (<see cref="FullExamples"/>; quick mode <see cref="QuickExamples"/>), then tested in eval mode.
/// </summary>
public sealed class SmallBatchExperiment : IExperiment
{
    /// <summary>Training examples per configuration in the full run: 40% of an epoch, the same for every batch size, so
    /// the whole grid of 60 runs fits in well under an hour on two cores (batch 2 takes 12,000 steps).</summary>
    public const int FullExamples = 24_000;

    /// <summary>Training examples per configuration in quick mode (the code path, not the result).</summary>
    public const int QuickExamples = 512;

    /// <summary>The batch sizes of the grid.</summary>
    public static IReadOnlyList<int> BatchSizes { get; } = [2, 4, 8, 32, 256];

    /// <summary>The normalizations of the grid, in table order.</summary>
    public static IReadOnlyList<NormalizationKind> Kinds { get; } =
    [
        NormalizationKind.BatchNorm, NormalizationKind.BatchRenorm, NormalizationKind.GhostBatchNorm,
        NormalizationKind.GroupNorm, NormalizationKind.LayerNorm, NormalizationKind.None,
    ];

    private static readonly (string Network, string Dataset, ImageLayout Layout, string Title)[] s_networks =
    [
        ("mlp", "mnist", ImageLayout.Flatten, "7-layer ReLU MLP on MNIST"),
        ("lenet", "fashion-mnist", ImageLayout.Image, "sigmoid LeNet-5 on Fashion-MNIST"),
    ];

    /// <inheritdoc />
    public string Name => "small-batch";

    /// <inheritdoc />
    public string Description => "Seed 004: BN vs Batch Renorm, Ghost BN, GroupNorm, LayerNorm and none at batch sizes 2–256 (MLP/MNIST, LeNet/Fashion-MNIST)";

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        int examples = options.Quick ? QuickExamples : FullExamples;
        int testCount = options.Quick ? 500 : 10_000;
        var results = new CsvTable("network", "dataset", "normalization", "batch_size", "steps", "learning_rate", "examples", "test_accuracy", "final_train_loss", "seconds");
        var all = new List<SmallBatchResult>();
        foreach (var (network, dataset, layout, _) in s_networks)
        {
            var split = DatasetRegistry.Load(dataset, new DataOptions { DataDirectory = options.DataDirectory, Layout = layout, Standardize = true });
            var train = options.Quick ? split.Train.Subset(Enumerable.Range(0, examples).ToArray()) : split.Train;
            var test = testCount < split.Test.Count ? split.Test.Subset(Enumerable.Range(0, testCount).ToArray()) : split.Test;
            var task = reporter.Progress.Start($"small-batch {network}", Kinds.Count * BatchSizes.Count);
            foreach (var kind in Kinds)
                foreach (int batch in BatchSizes)
                {
                    var result = SmallBatchTraining.Run(new SmallBatchConfig(network, kind, batch), train, test, examples, options.Seed);
                    all.Add(result);
                    results.Add(network, dataset, SmallBatchConfig.Label(kind), batch, result.Steps, result.Config.LearningRate, (long)result.Steps * batch,
                        result.TestAccuracy, result.FinalLoss, result.Seconds);
                    reporter.Progress.Log($"small-batch {network} {SmallBatchConfig.Label(kind)} batch {batch}: test accuracy {result.TestAccuracy:P2} ({result.Seconds:F1} s)");
                    task.Increment();
                }
            task.Complete();
        }
        reporter.WriteCsv("results.csv", results);
        var section = new MarkdownSection("small-batch — BN and its alternatives at small batch sizes (seed 004)");
        section.Paragraph(
            "d2l (seed 004) warns that BN needs large enough batches: with a batch of one every normalised unit is 0 and nothing is learned, " +
            "and the batch size matters more with BN than without. The alternatives fix this in different ways: Batch Renorm (Ioffe 2017) corrects " +
            "the batch statistics towards the moving ones by r and d; Ghost BN (Hoffer et al. 2017) normalises virtual sub-batches " +
            $"({SmallBatchConfig.VirtualBatchSize} samples here, so at batch ≤ {SmallBatchConfig.VirtualBatchSize} it *is* BN); GroupNorm (Wu and He 2018) " +
            "and LayerNorm (Ba et al. 2016) normalise within each sample and are independent of the batch size.");
        section.Paragraph(
            "Networks: the seed-000 MLP 784-500-400-300-200-100-50-25-10 with ReLU on MNIST, and d2l's LeNet-5 with sigmoid (seed 004) on " +
            "Fashion-MNIST, the normalization after every hidden Dense/Conv2d layer (no bias before the BN family). " +
            $"Every configuration trains on the same budget of {examples:N0} examples ({(options.Quick ? "quick mode: a subset" : $"{examples * 100 / 60_000}% of an epoch")}; steps = examples / B, so large batches take few steps) with Adam, " +
            "lr = 1e-3·√(B/32) (the square-root scaling rule of Hoffer et al.), drop-last batches, the pixels standardised; BN momentum 0.1 (PyTorch), " +
            "Batch Renorm rmax 3, dmax 5 reached after the first fifth of the steps, renorm momentum 0.1 (equal to BN's, as Keras's defaults; see ModelOptions.RenormMomentum); GroupNorm groups per layer from " +
            $"ModelZoo.DefaultGroups (≤ 32, ≥ 4 channels per group); LayerNorm over [C] or [C, H, W]. Test accuracy in eval mode on {testCount:N0} test images, seed {options.Seed}.");
        foreach (var (network, dataset, _, title) in s_networks)
        {
            var rows = all.Where(r => r.Config.Network == network).ToList();
            var series = Kinds.Select((kind, i) => new Series(SmallBatchConfig.Label(kind),
                [.. BatchSizes.Select(b => (double)b)],
                [.. BatchSizes.Select(b => rows.Single(r => r.Config.Normalization == kind && r.Config.BatchSize == b).TestAccuracy * 100)],
                // Ghost BN is BN below its virtual batch size: dashed so the BN line under it stays visible.
                Dashed: kind is NormalizationKind.None or NormalizationKind.GhostBatchNorm, Markers: true)).ToList();
            var plot = Charts.Line($"{title}, {examples:N0} training examples per run", "batch size (log scale)", "test accuracy (%), eval mode",
                series, logX: true, legendBelow: true);
            plot.Axes.Bottom.SetTicks([.. BatchSizes.Select(b => Math.Log10(b))], [.. BatchSizes.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
            string file = $"accuracy_{network}.png";
            reporter.SavePng(file, plot, 900, 620);
            section.Figure(file, $"{network} accuracy by batch size", Caption(network, dataset, rows));
            section.Table(["normalization", .. BatchSizes.Select(b => $"B = {b}")],
                Kinds.Select(kind => (IReadOnlyList<string>)[SmallBatchConfig.Label(kind),
                    .. BatchSizes.Select(b => Cell(rows.Single(r => r.Config.Normalization == kind && r.Config.BatchSize == b)))]));
        }
        section.Paragraph(Advice(all));
        section.DataLink("results.csv", "every configuration: steps, learning rate, test accuracy, mean training loss over the last tenth of the steps, seconds");
        reporter.WriteSection(Name, section);
    }

    private static string Cell(SmallBatchResult r) => double.IsFinite(r.FinalLoss) ? MarkdownSection.Cell(r.TestAccuracy * 100, "0.0") + "%" : "diverged";

    /// <summary>The caption of one network's figure, read off its results.</summary>
    private static string Caption(string network, string dataset, List<SmallBatchResult> rows)
    {
        string Acc(NormalizationKind k, int b) => F(rows.Single(r => r.Config.Normalization == k && r.Config.BatchSize == b).TestAccuracy * 100);
        int small = BatchSizes[0], large = BatchSizes[^1];
        var bestSmall = Kinds.MaxBy(k => rows.Single(r => r.Config.Normalization == k && r.Config.BatchSize == small).TestAccuracy);
        var bestLarge = Kinds.MaxBy(k => rows.Single(r => r.Config.Normalization == k && r.Config.BatchSize == large).TestAccuracy);
        var changes = Kinds.Select(k => $"{SmallBatchConfig.Label(k)} {Acc(k, large)}% → {Acc(k, small)}%");
        return $"Test accuracy ({dataset}, eval mode) against the batch size, one line per normalization. From batch {large} to batch {small}: " +
               string.Join(", ", changes) + $". Best at batch {small}: {SmallBatchConfig.Label(bestSmall)} ({Acc(bestSmall, small)}%); " +
               $"best at batch {large}: {SmallBatchConfig.Label(bestLarge)} ({Acc(bestLarge, large)}%).";
    }

    /// <summary>Which normalization to pick at which batch size, from the measured ranking per batch size.</summary>
    private static string Advice(List<SmallBatchResult> all)
    {
        double Mean(NormalizationKind k, int b) => all.Where(r => r.Config.Normalization == k && r.Config.BatchSize == b).Average(r => r.TestAccuracy * 100);
        var lines = new List<string> { "**Which to pick when** — mean test accuracy over both networks, the three best per batch size (this run, one seed):", "" };
        int? bnCompetitiveFrom = null;
        foreach (int b in BatchSizes)
        {
            var ranked = Kinds.Select(k => (Kind: k, Mean: Mean(k, b))).OrderByDescending(p => p.Mean).ToList();
            double bn = Mean(NormalizationKind.BatchNorm, b);
            if (bn >= ranked[0].Mean - 1) bnCompetitiveFrom ??= b;
            else bnCompetitiveFrom = null;
            lines.Add($"- batch {b}: {string.Join(", ", ranked.Take(3).Select(p => $"{SmallBatchConfig.Label(p.Kind)} {F(p.Mean)}%"))} (BN {F(bn)}%).");
        }
        var perSample = new[] { NormalizationKind.GroupNorm, NormalizationKind.LayerNorm, NormalizationKind.BatchRenorm }
            .MaxBy(k => Mean(k, BatchSizes[0]));
        lines.Add("");
        lines.Add(bnCompetitiveFrom is { } from
            ? $"In this run BN is within 1 point of the best from batch {from} up; below that, pick {SmallBatchConfig.Label(perSample)} " +
              $"(the best batch-size-independent or renormalising choice at batch {BatchSizes[0]}: {F(Mean(perSample, BatchSizes[0]))}% vs BN's {F(Mean(NormalizationKind.BatchNorm, BatchSizes[0]))}%)."
            : $"In this run BN is not within 1 point of the best even at batch {BatchSizes[^1]}; {SmallBatchConfig.Label(perSample)} does best among the alternatives at batch {BatchSizes[0]}.");
        lines.Add("");
        lines.Add("Why: BN's eval mode uses running averages of batch statistics, which small batches estimate noisily, and in training each sample is " +
                  "normalised by a few others; GroupNorm and LayerNorm compute the same thing in training and inference whatever the batch; Batch Renorm " +
                  "keeps the training output consistent with the running statistics. BN remains the default for moderate batches: at inference it costs " +
                  "nothing (it folds into the preceding layer). Ghost BN equals BN below its virtual batch size — it is a large-batch tool (it keeps " +
                  "the regularising noise of small batches inside big ones). `normsharp doctor --batch-size B` flags BN models trained on batches below 16.");
        return string.Join("\n", lines);
    }

    private static string F(double value) => value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}

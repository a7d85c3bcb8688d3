using System.Globalization;
using NormSharp.Cli.Reporting;
using NormSharp.Serialization;
using ScottPlot.TickGenerators;

namespace NormSharp.Cli.Experiments;

/// <summary>The CSV files, plots and Markdown of <see cref="TransferExperiment"/>.</summary>
internal static class TransferReport
{
    public static void Write(ExperimentReporter reporter, string name, IReadOnlyList<TransferRun> runs, IReadOnlyList<TransferRegime> regimes,
        RestoreReport restore, double pretrainAccuracy, double pretrainSeconds, bool quick)
    {
        var summary = new CsvTable("regime", "variant", "train_examples", "epochs", "test_acc", "train_seconds", "fastest_epoch_seconds", "cache_seconds", "wall_seconds", "examples_per_s", "trainable_parameters");
        var epochs = new CsvTable("regime", "variant", "epoch", "train_loss", "train_acc", "test_acc", "elapsed_s");
        foreach (var run in runs)
        {
            summary.Add(run.Regime, run.Variant, run.TrainExamples, run.Epochs, run.TestAccuracy, run.TrainSeconds, run.FastestEpochSeconds, run.CacheSeconds, run.WallSeconds, run.ExamplesPerSecond, run.TrainableParameters);
            foreach (var r in run.History) epochs.Add(run.Regime, run.Variant, r.Epoch, r.TrainLoss, r.TrainAccuracy, r.ValidationAccuracy, r.ElapsedSeconds);
        }
        reporter.WriteCsv("variants.csv", summary);
        reporter.WriteCsv("epochs.csv", epochs);

        var section = new MarkdownSection("transfer — reusing, freezing and caching pretrained layers (seed 002)");
        section.Paragraph(
            "Seed 002 (§2) reuses the lower layers of a trained DNN for a similar task: restore the variables of the scopes matching " +
            "`hidden[123]` into a new model, freeze them (give the optimizer only the upper layers' variables) and cache the frozen layers' " +
            "output so each training example passes through them once. Here: an MLP 784 → 300 → 100 → 50 → 50 → 50 → 5 (hidden1…hidden5, " +
            "each Dense → BN → ELU; Adam lr 1e-3) is trained on MNIST digits 0–4 and saved with the seed's scope names (`hidden1.dense.weight`, " +
            "`hidden1.bn.running_mean`, …, `logits.weight`). For digits 5–9 (relabelled 0–4) a new model with the same initial weights for every variant " +
            "is trained from scratch, or receives hidden1–3 via `PartialRestore` with the regex `^hidden[123]\\.` and is then fine-tuned entirely, " +
            "or trained with hidden1–3 frozen (`Freezing`: no gradients, BN in inference mode), or frozen with the hidden3 outputs cached " +
            "(`FrozenPrefixCache`; building the cache counts as training time).");
        section.Paragraph(string.Create(CultureInfo.InvariantCulture,
            $"Pretrained model: test accuracy {pretrainAccuracy:F4} on digits 0–4 after {pretrainSeconds:F1} s. Restore report of the reuse variants: " +
            $"loaded {restore.Loaded.Count} tensors ({string.Join(", ", restore.Loaded)}); skipped {restore.Skipped.Count} (hidden4–5 and logits, " +
            $"not matching the pattern); missing {restore.Missing.Count}."));
        if (quick)
            section.Paragraph("**Quick mode**: 3000 pretraining examples for 2 epochs, and a 3000-image full-data regime for 2 epochs — a check of the code path.");
        section.Table(["digits 5–9 training set", "variant", "epochs", "test acc", "training time (s)", "fastest epoch (s)", "of which cache (s)", "wall time with evaluations (s)", "trainable parameters"],
            runs.Select(r => (IReadOnlyList<string>)
            [
                $"{r.Regime} ({r.TrainExamples})", r.Variant, r.Epochs.ToString(CultureInfo.InvariantCulture), MarkdownSection.Cell(r.TestAccuracy, "0.0000"),
                MarkdownSection.Cell(r.TrainSeconds, "0.00"), MarkdownSection.Cell(r.FastestEpochSeconds, "0.000"), r.CacheSeconds > 0 ? MarkdownSection.Cell(r.CacheSeconds, "0.00") : "—",
                MarkdownSection.Cell(r.WallSeconds, "0.00"),
                r.TrainableParameters.ToString("N0", CultureInfo.InvariantCulture),
            ]));

        var verdicts = new List<string>();
        var headlines = new List<string>();
        foreach (var regime in regimes)
        {
            var scratch = Find(runs, regime, "scratch");
            var frozen = Find(runs, regime, "reuse + freeze hidden1-3");
            var cached = Find(runs, regime, "reuse + freeze + cache");
            var fineTuned = Find(runs, regime, "reuse + fine-tune all");
            double speedUp = frozen.FastestEpochSeconds / cached.FastestEpochSeconds;
            double vsScratch = scratch.FastestEpochSeconds / cached.FastestEpochSeconds;
            double totalSpeedUp = frozen.TrainSeconds / cached.TrainSeconds;
            string best = new[] { fineTuned, frozen, cached }.MaxBy(r => r.TestAccuracy)!.Variant;
            string sameness = Math.Abs(cached.TestAccuracy - frozen.TestAccuracy) < 0.0005
                ? string.Create(CultureInfo.InvariantCulture, $"it reaches the same test accuracy as the uncached frozen run ({cached.TestAccuracy:F4}): the cached model computes the same function.")
                : string.Create(CultureInfo.InvariantCulture, $"its test accuracy {cached.TestAccuracy:F4} differs from the uncached frozen run's {frozen.TestAccuracy:F4} (rounding of the frozen layers' outputs in a different batch size).");
            section.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"**{regime.Name} ({regime.Train.Count} images)**: from scratch {scratch.TestAccuracy:F4} in {scratch.TrainSeconds:F2} s; best reuse variant " +
                $"({best}) {runs.Where(r => r.Regime == regime.Name && r.Variant != "scratch").Max(r => r.TestAccuracy):F4}. With the frozen layers cached an epoch takes " +
                $"{cached.FastestEpochSeconds:F3} s against {frozen.FastestEpochSeconds:F3} s running them every step ({speedUp:F1}× faster; fastest epochs) and " +
                $"{scratch.FastestEpochSeconds:F3} s from scratch ({vsScratch:F1}×); over the whole run, building the cache included, {cached.TrainSeconds:F2} s against " +
                $"{frozen.TrainSeconds:F2} s ({totalSpeedUp:F1}×). {char.ToUpperInvariant(sameness[0])}{sameness[1..]}"));
            headlines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{regime.Name}: scratch {scratch.TestAccuracy:F3}, reuse best {runs.Where(r => r.Regime == regime.Name && r.Variant != "scratch").Max(r => r.TestAccuracy):F3}; cached epoch {speedUp:F1}× faster than frozen"));
            bool transferHelps = runs.Where(r => r.Regime == regime.Name && r.Variant != "scratch").Max(r => r.TestAccuracy) >= scratch.TestAccuracy;
            verdicts.Add($"{regime.Name}: {(speedUp > 1 ? "✔" : "✘")} caching faster, {(transferHelps ? "✔" : "✘")} reuse ≥ scratch");
        }
        string verdict = quick ? "quick run: " + string.Join("; ", verdicts) : string.Join("; ", verdicts);
        section.Summarize(string.Join("; ", headlines),
            "reusing lower layers speeds up training and needs less data; caching frozen outputs gives a large speed-up",
            verdict);

        foreach (var regime in regimes)
        {
            string file = FileName(regime);
            var series = runs.Where(r => r.Regime == regime.Name).Select((r, i) => new Series(r.Variant,
                [.. r.History.Select(h => (double)h.Epoch)], [.. r.History.Select(h => h.ValidationAccuracy ?? double.NaN)], Dashed: i == 3, Markers: true)).ToList();
            var plot = Charts.Line($"Digits 5–9, {regime.Name} ({regime.Train.Count} images): test accuracy per epoch", "epoch",
                "test accuracy on digits 5–9", series, legend: ScottPlot.Alignment.LowerRight);
            plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
            reporter.SavePng(file, plot);
            section.Figure(file, $"test accuracy, {regime.Name}",
                $"Test accuracy on digits 5–9 after each epoch, trained on {regime.Train.Count} images. The reused hidden1–3 were trained on digits 0–4 only; " +
                "the frozen variants train only hidden4–5 and the output layer. The cached run (dashed) lies on the uncached frozen run: same function, same batches.");
        }
        var categories = regimes.Select(r => $"{r.Name} ({r.Train.Count} images)").ToList();
        var bars = TransferExperiment.Variants.Select(v => (v, regimes.Select(g => 1e6 * Find(runs, g, v).FastestEpochSeconds / Find(runs, g, v).TrainExamples).ToArray())).ToList();
        reporter.SavePng("epoch_time.png", Charts.GroupedBars("Digits 5–9: training time per example and epoch (fastest epoch of each run)",
            "training set of digits 5–9", "µs per training example (this machine)", categories, bars, legend: ScottPlot.Alignment.UpperLeft));
        section.Figure("epoch_time.png", "epoch time",
            "Training time per example in an epoch, for each variant (optimizer steps only, the fastest epoch of each run: the two cores are shared with other jobs, " +
            "so single timings vary; the table also has the total training time with the cache's construction, and the wall time with the per-epoch evaluations). " +
            "Freezing alone saves the frozen layers' weight gradients; caching also skips their forward and backward passes every step.");
        section.DataLink("variants.csv", "test accuracy, wall time, cache time, throughput and trainable parameters of every variant");
        section.DataLink("epochs.csv", "loss, train and test accuracy of every epoch");
        reporter.WriteSection(name, section);
    }

    private static TransferRun Find(IReadOnlyList<TransferRun> runs, TransferRegime regime, string variant) =>
        runs.Single(r => r.Regime == regime.Name && r.Variant == variant);

    private static string FileName(TransferRegime regime) =>
        "accuracy_" + new string(regime.Name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray()) + ".png";
}

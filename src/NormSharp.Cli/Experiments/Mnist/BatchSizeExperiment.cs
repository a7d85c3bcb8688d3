using System.Globalization;
using NormSharp.Cli.Reporting;
using NormSharp.Models;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// d2l's remark (seed 004): BN estimates its statistics from the mini-batch, so it cannot train on batches
/// of one and gets worse as batches shrink. The seed-000 7-layer ReLU MLP trained for the same number of
/// examples at batch sizes 1…500, with and without BN (PyTorch defaults), Adam lr 1e-3; final test
/// accuracy in eval mode. Batch size 1 with BN stops at the engine's error, which the table reports.
/// </summary>
public sealed class BatchSizeExperiment : IExperiment
{
    /// <inheritdoc />
    public string Name => "batch-size";

    /// <inheritdoc />
    public string Description => "d2l: test accuracy vs batch size 1…500 with and without BN (BN cannot train on batches of one)";

    /// <summary>Full: 10 batch sizes, half an epoch (30,000 examples) each; quick: 6 sizes, 2,000 examples of a 10k subset.</summary>
    internal static (int[] Sizes, int Train, int Test, int Examples) Budget(bool quick) => quick
        ? ([1, 2, 8, 32, 128, 500], 10_000, 1_000, 2_000)
        : ([1, 2, 4, 8, 16, 32, 64, 128, 256, 500], 60_000, 10_000, 30_000);

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        var (sizes, trainCount, testCount, examples) = Budget(options.Quick);
        var (train, test) = MnistData.Subsets(options, trainCount, testCount);
        var results = new List<MlpRunResult>();
        foreach (bool bn in (bool[])[false, true])
            foreach (int size in sizes)
            {
                long steps = examples / size;
                var spec = new MlpRunSpec
                {
                    Hidden = ModelZoo.SeedHiddenSizes,
                    Activation = "relu",
                    BatchNorm = bn,
                    Momentum = MlpRunSpec.TorchMomentum,
                    Eps = MlpRunSpec.TorchEps,
                    BatchSize = size,
                    MaxSteps = steps,
                    // Four measurements along the run (the last one is the result).
                    EvaluateEvery = (int)Math.Max(1, steps / 4),
                    Seed = options.Seed,
                };
                var result = MlpRunner.Run(spec, train, test, reporter.Progress);
                results.Add(result);
                reporter.Progress.Log($"batch-size: {MlpRunner.Label(spec)}: " + (result.Error is { } e ? $"error: {e}" : $"final {MlpSeries.Percent(result.FinalAccuracy)}, {result.MsPerStep:F2} ms/step"));
            }

        var table = new CsvTable("batch_norm", "batch_size", "steps", "examples", "final_acc", "diverged", "ms_per_step", "error");
        foreach (var r in results)
            table.Add(r.Spec.BatchNorm, r.Spec.BatchSize, r.Spec.MaxSteps, r.Spec.MaxSteps * r.Spec.BatchSize, r.FinalAccuracy, r.Diverged,
                r.Error is null ? r.MsPerStep : double.NaN, r.Error);
        reporter.WriteCsv("batch_size.csv", table);

        double[] xs = [.. sizes.Select(s => (double)s)];
        MlpRunResult Find(bool bn, double size) => results.Single(r => r.Spec.BatchNorm == bn && r.Spec.BatchSize == (int)size);
        var lines = new List<Series>
        {
            MlpSeries.ByX("no BN", xs, s => Find(false, s).FinalAccuracy, "no result", dashed: true),
            MlpSeries.ByX("BN", xs, s => Find(true, s).FinalAccuracy, "engine error, cannot train"),
        };
        reporter.SavePng("accuracy_vs_batch_size.png", Charts.Line($"7-layer ReLU MLP: test accuracy after {examples:N0} training examples vs batch size",
            "batch size (log scale)", "final test accuracy (eval mode)", lines, logX: true, legendBelow: true));
        Describe(reporter, results, sizes, examples, train.Count, test.Count, options.Quick);
    }

    private void Describe(ExperimentReporter reporter, List<MlpRunResult> results, int[] sizes, int examples, int trainCount, int testCount, bool quick)
    {
        var section = new MarkdownSection("batch-size — BN and the size of the mini-batch (d2l)");
        section.Paragraph(
            "d2l (seed 004) notes that BN normalises with the mini-batch's own mean and variance, so a batch of one cannot be normalised at all " +
            "(the variance of one value is 0 and x − μ is 0) and small batches give noisy statistics. Here the seed-000 7-layer ReLU MLP is trained " +
            $"on the same {examples:N0} examples (of {trainCount:N0}) at each batch size, Adam lr 1e-3 (not rescaled with the batch size), without BN and with BN " +
            $"(PyTorch defaults); test accuracy on {testCount:N0} images in eval mode at the end. " + (quick ? "**Quick mode**: fewer sizes, fewer examples. " : ""));
        section.Figure("accuracy_vs_batch_size.png", "accuracy vs batch size", "Final test accuracy; the x axis is logarithmic. The BN point at batch size 1 is missing because the engine refuses to train it (see the table).");
        var rows = sizes.Select(size =>
        {
            var plain = results.Single(r => !r.Spec.BatchNorm && r.Spec.BatchSize == size);
            var bn = results.Single(r => r.Spec.BatchNorm && r.Spec.BatchSize == size);
            string Cell(MlpRunResult r) => r.Error is { } e ? $"error: {e}" : MlpSeries.Percent(r.FinalAccuracy) + (r.Diverged ? " (diverged)" : "");
            return (IReadOnlyList<string>)[size.ToString(CultureInfo.InvariantCulture), (examples / size).ToString(CultureInfo.InvariantCulture), Cell(plain), Cell(bn),
                MlpSeries.Number(plain.MsPerStep, "0.00"), bn.Error is null ? MlpSeries.Number(bn.MsPerStep, "0.00") : "—"];
        });
        section.Table(["batch size", "steps", "final acc. no BN", "final acc. BN", "ms/step no BN", "ms/step BN"], rows);

        var bnOne = results.Single(r => r.Spec.BatchNorm && r.Spec.BatchSize == sizes[0]);
        var smallest = sizes.Where(s => s > 1).Min();
        var bnSmall = results.Single(r => r.Spec.BatchNorm && r.Spec.BatchSize == smallest);
        var plainSmall = results.Single(r => !r.Spec.BatchNorm && r.Spec.BatchSize == smallest);
        var bnLarge = results.Single(r => r.Spec.BatchNorm && r.Spec.BatchSize == sizes[^1]);
        var plainLarge = results.Single(r => !r.Spec.BatchNorm && r.Spec.BatchSize == sizes[^1]);
        section.Paragraph("How this compares with d2l:\n\n" +
            $"- *BN cannot train with batch size 1*: {(bnOne.Error is { } e ? $"✔ the engine stops with \"{e}\" (PyTorch's wording)" : "✘ the run trained")}.\n" +
            $"- *BN suffers at small batches*: at batch {smallest} BN ends at {MlpSeries.Percent(bnSmall.FinalAccuracy)} against {MlpSeries.Percent(plainSmall.FinalAccuracy)} without; " +
            $"at batch {sizes[^1]} {MlpSeries.Percent(bnLarge.FinalAccuracy)} against {MlpSeries.Percent(plainLarge.FinalAccuracy)} — " +
            ((bnLarge.FinalAccuracy - plainLarge.FinalAccuracy) > (bnSmall.FinalAccuracy - plainSmall.FinalAccuracy)
                ? "✔ BN's advantage shrinks (or turns into a loss) as the batch shrinks."
                : "✘ BN's advantage does not shrink with the batch here.") +
            " With tiny batches each step's mean and variance are estimates from a handful of values: the training-mode net sees a noisy normalisation, " +
            "and the running averages used in eval mode average those noisy estimates.");
        bool shrinks = (bnLarge.FinalAccuracy - plainLarge.FinalAccuracy) > (bnSmall.FinalAccuracy - plainSmall.FinalAccuracy);
        section.Summarize(
            $"BN at batch 1: {(bnOne.Error is null ? "trained" : "refused")}; batch {smallest}: BN {MlpSeries.Percent(bnSmall.FinalAccuracy)} vs {MlpSeries.Percent(plainSmall.FinalAccuracy)} without; " +
            $"batch {sizes[^1]}: {MlpSeries.Percent(bnLarge.FinalAccuracy)} vs {MlpSeries.Percent(plainLarge.FinalAccuracy)}",
            "BN cannot train at batch size 1 and suffers at small batches",
            (quick ? "quick run: " : "") + $"{(bnOne.Error is null ? "✘" : "✔")} batch 1, {(shrinks ? "✔" : "✘")} small batches");
        section.DataLink("batch_size.csv", "final accuracy, ms/step and the engine's error per run");
        reporter.WriteSection(Name, section);
    }
}

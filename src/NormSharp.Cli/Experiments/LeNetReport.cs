using System.Globalization;
using NormSharp.Cli.Reporting;

namespace NormSharp.Cli.Experiments;

/// <summary>The Markdown of <see cref="LeNetExperiment"/>: setup, per-epoch table, comparison with seed 004, γ/β, figures.</summary>
internal static class LeNetReport
{
    public static void Describe(MarkdownSection section, IReadOnlyList<LeNetRun> runs, bool quick, int trainCount, int testCount, int epochs)
    {
        section.Paragraph(
            "Seed 004 (d2l §7.5) trains LeNet-5 with sigmoid activations on Fashion-MNIST by SGD with batch 256 for 10 epochs: " +
            "with its from-scratch `BatchNorm` class and with `nn.BatchNorm2d/1d`, both at lr 1.0, after every convolution and " +
            "hidden linear layer (the seed's listing: no padding in conv1, max pooling, `Linear(16*4*4, 120)`); d2l's plain LeNet " +
            "(§6.6: padding 2, average pooling) is trained without BN at lr 0.9. Weights are initialised as d2l's `train_ch6` does " +
            "(Xavier uniform on every Linear/Conv2d weight); pixels are in [0, 1] (`ToTensor`). \"scratch BN\" is `ScratchBatchNorm`, " +
            "built on the double-precision reference kernels with d2l's moving averages (0.9·old + 0.1·batch, biased variance); " +
            "\"fused BN\" is the engine's BatchNorm2d/BatchNorm1d (PyTorch momentum 0.1, unbiased running variance). Both BN nets " +
            "start from identical weights and see the batches in the same order. Loss and train accuracy are accumulated over each " +
            "epoch in training mode, as `train_ch6` does; test accuracy is measured in eval mode (running statistics) after each epoch.");
        if (quick)
            section.Paragraph($"**Quick mode**: the first {trainCount} training and {testCount} test images, {epochs} epochs — " +
                              "a check of the code path; the numbers are not comparable with the seed's 10 epochs on 60,000 images.");
        section.Table(["variant", "lr", "epoch", "loss", "train acc", "test acc", "examples/s"],
            runs.SelectMany(run => run.History.Select(r => (IReadOnlyList<string>)
            [
                LeNetExperiment.Label(run.Variant), F(run.LearningRate, "0.0"), r.Epoch.ToString(CultureInfo.InvariantCulture),
                F(r.TrainLoss), F(r.TrainAccuracy), F(r.ValidationAccuracy), F(r.ExamplesPerSecond, "0"),
            ])));

        var scratch = runs.Single(r => r.Variant == LeNetVariant.ScratchBatchNorm).History[^1];
        var fused = runs.Single(r => r.Variant == LeNetVariant.FusedBatchNorm).History[^1];
        var plain = runs.Single(r => r.Variant == LeNetVariant.NoBatchNorm).History[^1];
        var fusedRun = runs.Single(r => r.Variant == LeNetVariant.FusedBatchNorm);
        var scratchRun = runs.Single(r => r.Variant == LeNetVariant.ScratchBatchNorm);
        section.Paragraph("Final epoch against the seed (the seed ran on a GPU, `cuda:0`; examples/s here are two shared CPU cores):");
        section.Table(["variant", "loss", "train acc", "test acc", "examples/s", "seed: loss / train / test / examples/s"],
        [
            [LeNetExperiment.Label(LeNetVariant.ScratchBatchNorm), F(scratch.TrainLoss), F(scratch.TrainAccuracy), F(scratch.ValidationAccuracy), F(scratchRun.ExamplesPerSecond, "0"),
                "0.250 / 0.907 / 0.801 / 35560.7"],
            [LeNetExperiment.Label(LeNetVariant.FusedBatchNorm), F(fused.TrainLoss), F(fused.TrainAccuracy), F(fused.ValidationAccuracy), F(fusedRun.ExamplesPerSecond, "0"),
                "0.248 / 0.908 / 0.869 / 60219.9"],
            [LeNetExperiment.Label(LeNetVariant.NoBatchNorm), F(plain.TrainLoss), F(plain.TrainAccuracy), F(plain.ValidationAccuracy),
                F(runs.Single(r => r.Variant == LeNetVariant.NoBatchNorm).ExamplesPerSecond, "0"), "not in the seed (its BN section trains only the two BN nets)"],
        ]);

        double trainGap = (fused.TrainAccuracy ?? double.NaN) - LeNetExperiment.SeedFusedTrainAccuracy;
        double curveGap = runs.Single(r => r.Variant == LeNetVariant.ScratchBatchNorm).History
            .Zip(fusedRun.History, (a, b) => Math.Abs((a.TrainAccuracy ?? 0) - (b.TrainAccuracy ?? 0))).Max();
        string verdict = quick
            ? "quick run: not comparable"
            : Math.Abs(trainGap) <= LeNetExperiment.TrainAccuracyTolerance
                ? $"✔ fused-BN train acc within {Points(Math.Abs(trainGap))} points of the seed's (tolerance 2)"
                : $"✘ fused-BN train acc {Points(Math.Abs(trainGap))} points from the seed's (tolerance 2)";
        section.Paragraph(
            $"**Verdict**: {verdict}. Fused BN ends at train accuracy {F(fused.TrainAccuracy)} against the seed's 0.908 " +
            $"({(trainGap >= 0 ? "+" : "")}{Points(trainGap)} points) and test accuracy {F(fused.ValidationAccuracy)} against 0.869; " +
            $"the from-scratch BN follows the fused one epoch by epoch (largest train-accuracy difference {Points(curveGap)} points: same weights " +
            $"and batches; they differ in float vs double arithmetic and in the running variance, biased vs unbiased, which only eval mode uses). " +
            (plain.TrainAccuracy < fused.TrainAccuracy
                ? $"Without BN, sigmoid LeNet learns more slowly: train accuracy {F(plain.TrainAccuracy)} after the last epoch, against {F(fused.TrainAccuracy)} with BN."
                : $"Without BN, sigmoid LeNet reaches train accuracy {F(plain.TrainAccuracy)}, not below the BN nets' {F(fused.TrainAccuracy)}."));
        section.Summarize(
            string.Create(CultureInfo.InvariantCulture, $"fused BN: loss {fused.TrainLoss:F3}, train {fused.TrainAccuracy:F3}, test {fused.ValidationAccuracy:F3}; scratch BN train {scratch.TrainAccuracy:F3}; no BN train {plain.TrainAccuracy:F3}"),
            "fused BN: loss 0.248, train acc 0.908, test acc 0.869",
            verdict);

        foreach (var run in runs.Where(r => r.Affine is not null))
        {
            var (gamma, beta) = run.Affine!.Value;
            section.Paragraph($"{LeNetExperiment.Label(run.Variant)}, first BN layer (`net[1].gamma.reshape((-1,))`, `net[1].beta.reshape((-1,))`): " +
                              $"γ = [{Join(gamma)}], β = [{Join(beta)}].");
        }
        section.Paragraph("The seed's from-scratch run printed γ = [0.7562, 1.2784, 2.3527, 1.3189, 2.0457, 2.8424], " +
                          "β = [0.7436, -0.8156, -0.2711, -0.5087, 0.5847, -3.0033]: values of order 1 with mixed signs of β. " +
                          "Individual channels cannot match (different random initialisation), only their range.");

        section.Figure("accuracy.png", "accuracy per epoch",
            "Train (solid, training mode, accumulated over the epoch) and test (dashed, eval mode) accuracy after each epoch for the three variants. " +
            "The from-scratch BN (blue/orange) and fused BN (green/red) curves nearly coincide, so the first pair is partly hidden. " +
            "The seed's BN nets reach train accuracy ≈ 0.91 after 10 epochs; a sigmoid LeNet without BN starts learning only after a few hundred steps at lr 0.9.");
        section.Figure("loss.png", "training loss per epoch",
            "Mean training cross-entropy of each epoch. The seed's BN nets end at 0.248–0.250.");
        section.Figure("first_bn_gamma_beta.png", "γ and β of the first BN layer",
            "Learned scale γ and shift β of the six channels of the first BN layer (after conv1), from-scratch and fused, which start from the same weights and see the same batches. " +
            "The seed prints these for its from-scratch net (γ 0.76–2.84, β −3.0…0.74).");
        section.Figure("throughput.png", "throughput",
            "Training examples per second of each variant on this machine (two cores shared with other jobs, so the absolute values vary between runs). " +
            "The from-scratch BN runs the plain double-precision reference kernels, the fused BN the vectorised kernels — the seed's Python BN (35,561/s) is likewise slower " +
            "than `nn.BatchNorm` (60,220/s) on its GPU. The net without BN is d2l's §6.6 LeNet, whose padded conv1 gives larger feature maps (6×28×28 against 6×24×24), " +
            "so its bar is not the cost of BN.");
        section.DataLink("epochs.csv", "loss, train accuracy, test accuracy, examples per second and elapsed time of every epoch and variant");
        section.DataLink("bn_affine.csv", "γ and β of the first BN layer, per channel");
    }

    private static string F(double? value, string format = "0.000") => value is { } v ? MarkdownSection.Cell(v, format) : "—";

    private static string Points(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Join(float[] values) => string.Join(", ", values.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)));
}

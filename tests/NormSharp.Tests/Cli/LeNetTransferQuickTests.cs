using System.Globalization;
using NormSharp.Cli.Experiments;

namespace NormSharp.Tests.Cli;

/// <summary>The <c>--quick</c> modes of <c>reproduce lenet</c> (seed 004) and <c>reproduce transfer</c> (seed 002), in-process.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)]
public sealed class LeNetTransferQuickTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "normsharp-repro-lt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static double D(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);

    [Fact]
    public void LeNet_WritesEveryFile_ScratchBnTracksFusedBn_AndBnLearnsFaster()
    {
        var reporter = ReproduceRunner.Run(new LeNetExperiment(), new ExperimentOptions { Quick = true, Seed = 42 }, _out);

        string dir = Path.Combine(_out, "lenet");
        foreach (string png in (string[])["accuracy.png", "loss.png", "first_bn_gamma_beta.png", "throughput.png"])
            ReproduceQuickTests.AssertPng(Path.Combine(dir, png));
        string markdown = File.ReadAllText(Path.Combine(dir, "lenet.md"));
        foreach (string figure in reporter.Section!.Figures) Assert.Contains($"]({figure})", markdown);
        Assert.Equal("quick run: not comparable", reporter.Section.Summary!.Verdict);

        var epochs = ReproduceQuickTests.ReadCsv(Path.Combine(dir, "epochs.csv"));
        Assert.Equal(["variant", "lr", "epoch", "loss", "train_acc", "test_acc", "examples_per_s", "elapsed_s"], epochs[0].Keys);
        Assert.Equal(3 * LeNetExperiment.QuickEpochs, epochs.Count);
        var scratch = epochs.Where(r => r["variant"] == "scratch BN").ToList();
        var fused = epochs.Where(r => r["variant"] == "fused BN").ToList();
        var plain = epochs.Where(r => r["variant"] == "no BN").ToList();
        Assert.All(plain, r => Assert.Equal("0.9", r["lr"]));
        Assert.All(fused, r => Assert.Equal("1", r["lr"]));
        // Same weights and batches: the reference-kernel BN and the fused BN train the same net. The fused
        // kernels add in float over short runs (~1e-7 relative against the double reference); SGD at lr 1.0 on a
        // sigmoid net amplifies that over three quick epochs to ~0.01 in train accuracy (seed 42: 0.0124 at epoch 3,
        // 0.0012 at epoch 2), so the first epoch is held tightly and the later ones to 0.03.
        Assert.True(Math.Abs(D(scratch[0]["loss"]) - D(fused[0]["loss"])) < 0.005, "epoch 1 loss");
        for (int e = 0; e < fused.Count; e++)
            Assert.True(Math.Abs(D(scratch[e]["train_acc"]) - D(fused[e]["train_acc"])) < (e == 0 ? 0.01 : 0.03), $"epoch {e + 1}");
        Assert.True(D(fused[^1]["train_acc"]) > D(plain[^1]["train_acc"]) + 0.2, "BN should let sigmoid LeNet learn much faster at lr 1.0");
        Assert.True(D(fused[^1]["loss"]) < D(fused[0]["loss"]));

        var affine = ReproduceQuickTests.ReadCsv(Path.Combine(dir, "bn_affine.csv"));
        Assert.Equal(2 * 12, affine.Count); // 6 γ + 6 β of the first BN layer, for both BN variants
        Assert.Contains(affine, r => r["parameter"] == "gamma" && D(r["value"]) != 1);
    }

    [Fact]
    public void Transfer_WritesEveryFile_AndTheCachedRunMatchesTheUncachedFrozenRun()
    {
        var reporter = ReproduceRunner.Run(new TransferExperiment(), new ExperimentOptions { Quick = true, Seed = 42 }, _out);

        string dir = Path.Combine(_out, "transfer");
        foreach (string png in (string[])["accuracy_100_per_digit.png", "accuracy_first_3000.png", "epoch_time.png"])
            ReproduceQuickTests.AssertPng(Path.Combine(dir, png));
        Assert.False(File.Exists(Path.Combine(dir, "pretrained_digits_0-4.safetensors")), "the pretrained weights are a temporary file");
        string markdown = File.ReadAllText(Path.Combine(dir, "transfer.md"));
        foreach (string figure in reporter.Section!.Figures) Assert.Contains($"]({figure})", markdown);
        Assert.Contains("loaded 18 tensors", markdown); // hidden1–3: Dense weight + BN weight, bias, running mean/var, batch count
        Assert.NotNull(reporter.Section.Summary);

        var variants = ReproduceQuickTests.ReadCsv(Path.Combine(dir, "variants.csv"));
        Assert.Equal(["regime", "variant", "train_examples", "epochs", "test_acc", "train_seconds", "fastest_epoch_seconds", "cache_seconds", "wall_seconds", "examples_per_s", "trainable_parameters"],
            variants[0].Keys);
        Assert.Equal(8, variants.Count);
        foreach (string regime in variants.Select(r => r["regime"]).Distinct())
        {
            var rows = variants.Where(r => r["regime"] == regime).ToDictionary(r => r["variant"]);
            // Caching computes the same function: same accuracy as the frozen run without cache.
            Assert.True(Math.Abs(D(rows["reuse + freeze + cache"]["test_acc"]) - D(rows["reuse + freeze hidden1-3"]["test_acc"])) < 0.005, regime);
            Assert.True(D(rows["reuse + freeze + cache"]["cache_seconds"]) > 0);
            Assert.Equal(rows["reuse + freeze hidden1-3"]["trainable_parameters"], rows["reuse + freeze + cache"]["trainable_parameters"]);
            Assert.True(int.Parse(rows["reuse + freeze hidden1-3"]["trainable_parameters"], CultureInfo.InvariantCulture)
                        < int.Parse(rows["scratch"]["trainable_parameters"], CultureInfo.InvariantCulture) / 10);
            Assert.All(rows.Values, r => Assert.True(D(r["test_acc"]) > 0.5, $"{regime} {r["variant"]}: {r["test_acc"]}"));
        }
        var epochs = ReproduceQuickTests.ReadCsv(Path.Combine(dir, "epochs.csv"));
        Assert.Equal(variants.Sum(r => int.Parse(r["epochs"], CultureInfo.InvariantCulture)), epochs.Count);
    }
}

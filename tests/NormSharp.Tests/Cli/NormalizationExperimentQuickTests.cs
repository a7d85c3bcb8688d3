using System.Globalization;
using NormSharp.Cli.Experiments;

namespace NormSharp.Tests.Cli;

/// <summary>The quick modes of <c>reproduce small-batch</c> and <c>reproduce bn-lag</c>: files written, and what they must show.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)]
public sealed class NormalizationExperimentQuickTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("normsharp-norm-repro-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static double Number(Dictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);

    [Fact]
    public void SmallBatch_WritesTheGrid_AndBatchNormCollapsesAtBatchTwo()
    {
        var reporter = ReproduceRunner.Run(new SmallBatchExperiment(), new ExperimentOptions { Quick = true, Seed = 42 }, _out);
        string dir = Path.Combine(_out, "small-batch");
        ReproduceQuickTests.AssertPng(Path.Combine(dir, "accuracy_mlp.png"));
        ReproduceQuickTests.AssertPng(Path.Combine(dir, "accuracy_lenet.png"));
        string markdown = File.ReadAllText(Path.Combine(dir, "small-batch.md"));
        foreach (string figure in reporter.Section!.Figures) Assert.Contains($"]({figure})", markdown);
        Assert.Contains("Which to pick when", markdown);

        var rows = ReproduceQuickTests.ReadCsv(Path.Combine(dir, "results.csv"));
        Assert.Equal(2 * SmallBatchExperiment.Kinds.Count * SmallBatchExperiment.BatchSizes.Count, rows.Count);
        foreach (var row in rows)
        {
            int batch = int.Parse(row["batch_size"], CultureInfo.InvariantCulture);
            Assert.Equal(SmallBatchExperiment.QuickExamples / batch, int.Parse(row["steps"], CultureInfo.InvariantCulture));
            Assert.InRange(Number(row, "test_accuracy"), 0, 1);
        }
        double Accuracy(string network, string norm, int batch) =>
            Number(rows.Single(r => r["network"] == network && r["normalization"] == norm && r["batch_size"] == batch.ToString(CultureInfo.InvariantCulture)), "test_accuracy");
        // Below its virtual batch size Ghost BN is BN, bit for bit.
        foreach (string network in (string[])["mlp", "lenet"])
            foreach (int batch in (int[])[2, 4, 8])
                Assert.Equal(Accuracy(network, "BN", batch), Accuracy(network, "Ghost BN (16)", batch));
        // d2l's warning: at batch 2 BN (eval mode) learns far less than a per-sample normalization.
        Assert.True(Accuracy("mlp", "LayerNorm", 2) > Accuracy("mlp", "BN", 2) + 0.1,
            $"LayerNorm {Accuracy("mlp", "LayerNorm", 2)} vs BN {Accuracy("mlp", "BN", 2)} at batch 2");
    }

    [Fact]
    public void BnLag_RecalibrationRemovesTheEvalLagOfKerasMomentum()
    {
        ReproduceRunner.Run(new BnLagExperiment(), new ExperimentOptions { Quick = true, Seed = 42 }, _out);
        string dir = Path.Combine(_out, "bn-lag");
        ReproduceQuickTests.AssertPng(Path.Combine(dir, "lag.png"));
        Assert.True(File.Exists(Path.Combine(dir, "bn-lag.md")));
        var rows = ReproduceQuickTests.ReadCsv(Path.Combine(dir, "lag.csv"));
        var keras50 = rows.Single(r => r["momentum"] == "0.01" && r["step"] == "50");
        double running = Number(keras50, "eval_running"), recalibrated = Number(keras50, "eval_recalibrated"), batch = Number(keras50, "batch_statistics");
        // After 50 steps at momentum 0.99 (Keras) the running statistics are still 61% initial values: eval mode lags.
        Assert.True(recalibrated > running + 0.2, $"running {running}, recalibrated {recalibrated}");
        // Precise BN brings eval mode to what the network computes with batch statistics.
        Assert.True(Math.Abs(recalibrated - batch) < 0.05, $"recalibrated {recalibrated}, batch statistics {batch}");
        // PyTorch's momentum 0.1 has caught up by step 100.
        var torch100 = rows.Single(r => r["momentum"] == "0.1" && r["step"] == "100");
        Assert.True(Number(torch100, "eval_recalibrated") - Number(torch100, "eval_running") < 0.03);
    }
}

using System.Globalization;
using NormSharp.Cli.Experiments;
using static NormSharp.Tests.Cli.ReproduceQuickTests;

namespace NormSharp.Tests.Cli;

/// <summary>
/// The MNIST MLP experiments' <c>--quick</c> modes (depth-sweep, activations, learning-rates, batch-size,
/// gradients), run in-process: every file they promise must exist, the CSVs must have their columns and
/// rows, the PNGs must be real images, and the numbers must show the qualitative effect even at this size.
/// </summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)]
public sealed class MlpExperimentQuickTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "normsharp-repro-mlp-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static double D(string cell) => cell.Length == 0 ? double.NaN : double.Parse(cell, CultureInfo.InvariantCulture);

    private string RunQuick(IExperiment experiment, params string[] pngs)
    {
        var reporter = ReproduceRunner.Run(experiment, new ExperimentOptions { Quick = true, Seed = 42 }, _out);
        string dir = Path.Combine(_out, experiment.Name);
        foreach (string png in pngs) AssertPng(Path.Combine(dir, png));
        string markdown = File.ReadAllText(Path.Combine(dir, experiment.Name + ".md"));
        foreach (string figure in reporter.Section!.Figures)
        {
            Assert.Contains($"]({figure})", markdown);
            Assert.Contains(Path.Combine(dir, figure), reporter.Files);
        }
        return dir;
    }

    [Fact]
    public void DepthSweep_WritesEveryFile_AndShowsTheRunningAverageLag()
    {
        string dir = RunQuick(new DepthSweepExperiment(), "steps_to_90.png", "steps_to_90_bn_relu.png", "steps_to_90_bn_sigmoid.png",
            "seconds_to_90.png", "ms_per_step.png", "curves_7layer.png", "lag_7layer_relu.png", "lag_7layer_sigmoid.png");

        var summary = ReadCsv(Path.Combine(dir, "steps_to_90.csv"));
        Assert.Equal(3 * 2 * 3, summary.Count); // depths × activations × {no BN, Keras BN, PyTorch BN}
        Assert.All(summary, r => Assert.True(D(r["ms_per_step"]) > 0, $"ms/step {r["ms_per_step"]}"));
        var curves = ReadCsv(Path.Combine(dir, "curves.csv"));
        Assert.Equal(["activation", "batch_norm", "momentum", "eps", "depth", "step", "train_seconds", "train_loss",
            "test_acc_eval", "test_acc_batch_stats", "test_acc_recalibrated"], curves[0].Keys);
        Dictionary<string, string> Last(string activation, string bn, string momentum) =>
            curves.Last(r => r["activation"] == activation && r["depth"] == "7" && r["batch_norm"] == bn && r["momentum"] == momentum);

        // 7-layer ReLU with Keras's slow average: the network trains (batch statistics and recalibrated
        // statistics agree and are high) while eval mode still lags far behind.
        var keras = Last("relu", "true", "0.01");
        Assert.True(D(keras["test_acc_batch_stats"]) > 0.8, keras["test_acc_batch_stats"]);
        Assert.True(Math.Abs(D(keras["test_acc_recalibrated"]) - D(keras["test_acc_batch_stats"])) < 0.05);
        Assert.True(D(keras["test_acc_eval"]) < D(keras["test_acc_batch_stats"]) - 0.2, $"eval {keras["test_acc_eval"]}");
        // The 7-layer sigmoid net without BN does not learn in this budget; with BN it does.
        Assert.True(D(Last("sigmoid", "false", "")["test_acc_eval"]) < 0.3);
        Assert.True(D(Last("sigmoid", "true", "0.1")["test_acc_batch_stats"]) > 0.5);
    }

    [Fact]
    public void LearningRates_BnSurvivesTheHighRate()
    {
        string dir = RunQuick(new LearningRateExperiment(), "accuracy_vs_lr.png", "steps_to_90_vs_lr.png");

        var rows = ReadCsv(Path.Combine(dir, "learning_rates.csv"));
        Assert.Equal(2 * LearningRateExperiment.Budget(quick: true).Rates.Length, rows.Count);
        double Final(string bn, string lr) => D(rows.Single(r => r["batch_norm"] == bn && r["learning_rate"] == lr)["final_acc"]);
        Assert.True(Final("true", "0.1") > Final("false", "0.1") + 0.3, $"BN {Final("true", "0.1")}, plain {Final("false", "0.1")}");
        Assert.NotEmpty(ReadCsv(Path.Combine(dir, "curves.csv")));
    }

    [Fact]
    public void BatchSize_ReportsTheBatchOfOneError_InsteadOfCrashing()
    {
        string dir = RunQuick(new BatchSizeExperiment(), "accuracy_vs_batch_size.png");

        var lines = File.ReadAllLines(Path.Combine(dir, "batch_size.csv"));
        Assert.Equal("batch_norm,batch_size,steps,examples,final_acc,diverged,ms_per_step,error", lines[0]);
        Assert.Equal(1 + 2 * BatchSizeExperiment.Budget(quick: true).Sizes.Length, lines.Length);
        string bnOne = Assert.Single(lines, l => l.StartsWith("true,1,", StringComparison.Ordinal));
        Assert.Contains("Expected more than 1 value per channel when training", bnOne);
        Assert.Contains(lines, l => l.StartsWith("false,1,", StringComparison.Ordinal) && !l.EndsWith("\"", StringComparison.Ordinal));
        Assert.Contains("Expected more than 1 value per channel", File.ReadAllText(Path.Combine(dir, "batch-size.md")));
    }

    [Fact]
    public void Gradients_VanishTowardsTheInputOfThePlainSigmoidNet()
    {
        string dir = RunQuick(new GradientsExperiment(), "grad_profile.png", "grad_norms_sigmoid_nobn.png", "grad_norms_sigmoid_bn.png",
            "grad_norms_relu_nobn.png", "grad_norms_relu_bn.png");

        var rows = ReadCsv(Path.Combine(dir, "gradient_norms.csv"));
        int steps = GradientsExperiment.Budget(quick: true).Steps;
        Assert.Equal(4 * steps * 8, rows.Count); // runs × steps × Dense layers (7 hidden + output)
        double Ratio(string bn)
        {
            var first = rows.Where(r => r["activation"] == "sigmoid" && r["batch_norm"] == bn && r["step"] == "1").ToList();
            return D(first.Single(r => r["layer"] == "1")["grad_norm"]) / D(first.Single(r => r["layer"] == "8")["grad_norm"]);
        }
        Assert.True(Ratio("false") < Ratio("true") / 10, $"plain {Ratio("false")}, BN {Ratio("true")}");
    }

    [Fact]
    public void Activations_RunsEveryAvailableCombination()
    {
        string dir = RunQuick(new ActivationsExperiment(), "final_accuracy.png", "steps_to_90.png", "curves_he_nobn.png", "curves_he_bn.png");

        var rows = ReadCsv(Path.Combine(dir, "activations.csv"));
        var available = ActivationsExperiment.Activations.Where(a => NormSharp.Models.ActivationFactory.Names.Contains(a)).ToList();
        Assert.Equal(available.Count * 2 * 2, rows.Count);
        double Final(string a, string init, string bn) => D(rows.Single(r => r["activation"] == a && r["init"] == init && r["batch_norm"] == bn)["final_acc"]);
        Assert.True(Final("relu", "he", "false") > Final("sigmoid", "xavier", "false") + 0.2);
        string markdown = File.ReadAllText(Path.Combine(dir, "activations.md"));
        foreach (string missing in ActivationsExperiment.Activations.Except(available)) Assert.Contains(missing, markdown);
    }

    [Fact]
    public void BnStepTime_WritesMediansForEveryDepth()
    {
        string dir = RunQuick(new StepTimeExperiment(), "ms_per_step.png");

        var (depths, rounds, _) = StepTimeExperiment.Budget(quick: true);
        Assert.Equal(depths.Length * 2 * rounds, ReadCsv(Path.Combine(dir, "step_times.csv")).Count);
        var medians = ReadCsv(Path.Combine(dir, "step_time_medians.csv"));
        Assert.Equal(depths.Select(d => d.ToString(CultureInfo.InvariantCulture)), medians.Select(r => r["depth"]));
        Assert.All(medians, r => Assert.True(D(r["median_ms_no_bn"]) > 0 && D(r["median_ms_bn"]) > 0));
    }
}

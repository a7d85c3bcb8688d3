using System.Globalization;
using NormSharp.Cli.Experiments;

namespace NormSharp.Tests.Cli;

/// <summary>
/// Each experiment's <c>--quick</c> mode, run in-process into a temporary folder: it must write its CSV,
/// PNG and Markdown files, and their content must show the seed's qualitative result.
/// </summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)]
public sealed class ReproduceQuickTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "normsharp-repro-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void Distributions_WritesEveryFile_AndBnKeepsPreActivationsNarrower()
    {
        var reporter = ReproduceRunner.Run(new DistributionsExperiment(), new ExperimentOptions { Quick = true, Seed = 42 }, _out);

        string dir = Path.Combine(_out, "distributions");
        foreach (string name in (string[])["hist_relu_nobn.png", "hist_relu_bn.png", "hist_tanh_nobn.png", "hist_tanh_bn.png", "cost_relu.png", "cost_tanh.png"])
            AssertPng(Path.Combine(dir, name));
        string markdown = File.ReadAllText(Path.Combine(dir, "distributions.md"));
        foreach (string figure in reporter.Section!.Figures)
            Assert.Contains($"]({figure})", markdown);

        var stats = ReadCsv(Path.Combine(dir, "layer_stats.csv"));
        // Deepest hidden layer at step 0 (same weights for both variants): without BN its pre-activations
        // spread over thousands, with BN they are normalised to unit scale.
        double Std(string activation, string bn, string step, string layer) =>
            double.Parse(stats.Single(r => r["activation"] == activation && r["batch_norm"] == bn && r["step"] == step && r["layer"] == layer)["std"], CultureInfo.InvariantCulture);
        Assert.True(Std("relu", "false", "0", "7") > 100 * Std("relu", "true", "0", "7"));
        for (int layer = 2; layer <= 7; layer++)
            Assert.True(Std("tanh", "false", "250", $"{layer}") > 2 * Std("tanh", "true", "250", $"{layer}"), $"layer {layer}");

        // The tanh net without BN ends with saturated units; with BN far fewer.
        double Saturated(string bn) => stats.Where(r => r["activation"] == "tanh" && r["batch_norm"] == bn && r["step"] == "250" && r["layer"] != "0")
            .Average(r => double.Parse(r["saturated_fraction"], CultureInfo.InvariantCulture));
        Assert.True(Saturated("false") > 0.3);
        Assert.True(Saturated("true") < Saturated("false") / 2);

        // The BN nets learn: the last cost is well below the first.
        var costs = ReadCsv(Path.Combine(dir, "costs.csv")).Where(r => r["batch_norm"] == "true").ToList();
        foreach (string activation in (string[])["relu", "tanh"])
        {
            var curve = costs.Where(r => r["activation"] == activation).Select(r => double.Parse(r["cost"], CultureInfo.InvariantCulture)).ToList();
            Assert.True(curve[^1] < curve[0] / 3, $"{activation}: {curve[0]} → {curve[^1]}");
        }
    }

    [Fact]
    public void RunAll_WritesReportLinkingEveryFigure()
    {
        var (report, failed) = ReproduceRunner.RunAll([new DistributionsExperiment()], new ExperimentOptions { Quick = true }, _out);

        Assert.Empty(failed);
        string text = File.ReadAllText(report);
        foreach (string png in Directory.GetFiles(Path.Combine(_out, "distributions"), "*.png"))
            Assert.Contains($"(distributions/{Path.GetFileName(png)})", text);
    }

    [Fact]
    public void Find_UnknownName_ListsTheValidNames()
    {
        var error = Assert.Throws<ArgumentException>(() => ExperimentCatalog.Find("nope"));
        Assert.Contains("distributions", error.Message);
    }

    internal static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"missing {path}");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 5000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    internal static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            Assert.Equal(header.Length, cells.Length);
            rows.Add(header.Zip(cells).ToDictionary(p => p.First, p => p.Second));
        }
        return rows;
    }
}

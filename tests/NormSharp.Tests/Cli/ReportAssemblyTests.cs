using NormSharp.Cli.Experiments;
using NormSharp.Cli.Reporting;

namespace NormSharp.Tests.Cli;

/// <summary><c>reproduce all</c>'s report.md, assembled from fake experiments (the real ones take minutes together).</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)]
public sealed class ReportAssemblyTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "normsharp-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private sealed class FakeExperiment(string name, bool summarize) : IExperiment
    {
        public List<string> Log { get; } = [];
        public string Name => name;
        public string Description => $"fake {name} | with a pipe";

        public void Run(ExperimentOptions options, ExperimentReporter reporter)
        {
            var plot = Charts.Line($"{name} curve", "step", "value", [new Series("line", [0, 1, 2], [1, 4, 9])]);
            reporter.SavePng("curve.png", plot);
            reporter.SavePng("second.png", plot);
            var section = new MarkdownSection($"{name} section").Figure("curve.png", "curve", "what the curve shows").Figure("second.png", "second", "the other one");
            if (summarize) section.Summarize($"{name} headline 0.91", "seed says 0.90", "✔ within 1 point");
            reporter.WriteSection(Name, section);
        }
    }

    private sealed class FailingExperiment : IExperiment
    {
        public string Name => "broken";
        public string Description => "always fails";
        public void Run(ExperimentOptions options, ExperimentReporter reporter) => throw new InvalidOperationException("no data for broken");
    }

    [Fact]
    public void RunAll_WritesSummaryTable_SectionsInOrder_LinksToEveryPng_AndReportsFailures()
    {
        IExperiment[] experiments = [new FakeExperiment("alpha", summarize: true), new FailingExperiment(), new FakeExperiment("beta", summarize: false)];
        var (path, failed) = ReproduceRunner.RunAll(experiments, new ExperimentOptions { Quick = true }, _out);

        Assert.Equal(["broken"], failed);
        string report = File.ReadAllText(path);
        Assert.Contains("| experiment | headline figure | seed's claim | verdict |", report);
        Assert.Contains("| [alpha](#alpha) | alpha headline 0.91 | seed says 0.90 | ✔ within 1 point |", report);
        Assert.Contains("| [broken](#broken) | always fails | — | **failed** |", report);
        Assert.Contains(@"| [beta](#beta) | fake beta \| with a pipe | — | see section |", report); // no summary: the description, escaped
        Assert.Contains("**Failed**: InvalidOperationException: no data for broken", report);
        foreach (string name in (string[])["alpha", "beta"])
            foreach (string png in Directory.GetFiles(Path.Combine(_out, name), "*.png"))
                Assert.Contains($"]({name}/{Path.GetFileName(png)})", report);
        Assert.Contains("*what the curve shows*", report);
        int alpha = report.IndexOf("## alpha section", StringComparison.Ordinal);
        int broken = report.IndexOf("## broken", StringComparison.Ordinal);
        int beta = report.IndexOf("## beta section", StringComparison.Ordinal);
        Assert.True(alpha > 0 && alpha < broken && broken < beta, "sections in the order given");
        Assert.True(report.IndexOf("## Summary", StringComparison.Ordinal) < alpha);
    }

    [Fact]
    public void Catalog_ListsLeNetAndTransfer_AndNamesAreUnique()
    {
        var names = ExperimentCatalog.All().Select(e => e.Name).ToList();
        Assert.Contains("lenet", names);
        Assert.Contains("transfer", names);
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.IsType<TransferExperiment>(ExperimentCatalog.Find("TRANSFER"));
    }
}

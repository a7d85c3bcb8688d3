using NormSharp.Cli;
using NormSharp.Cli.Commands;
using NormSharp.Kernels;

namespace NormSharp.Tests.Cli;

/// <summary><c>normsharp bench …</c> in-process on tiny workloads: the output contract that bench/compare.sh
/// parses (last line <c>examples_per_second: N</c>, kernel lines), and argument errors.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // redirects Console, sets ParallelRunner.Threads
public sealed class BenchCommandTests
{
    private static (int Code, string Output) Run(params string[] args) => CliRunner.Invoke(args);

    [Theory]
    [InlineData("mlp", "--bn")]
    [InlineData("mlp", "--no-bn")]
    [InlineData("lenet", "--bn")]
    public void TrainPrintsExamplesPerSecondLastAndAllocatesNothingWhileTimed(string model, string bn)
    {
        var args = new List<string> { "bench", "train", "--model", model, "--hidden", "32,16", "--batch-size", "8",
            "--steps", "3", "--warmup", "2", "--threads", "1", "--profile" };
        if (bn == "--bn") args.Add("--bn");
        var (code, output) = Run([.. args]);
        Assert.True(code == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("examples_per_second: ", lines[^1]);
        Assert.True(double.Parse(lines[^1]["examples_per_second: ".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains("managed bytes allocated 0,", output);
        Assert.Contains(model == "mlp" ? "profile: Dense" : "profile: Conv2d", output);
    }

    [Fact]
    public void KernelsPrintOneParsableLinePerKernel()
    {
        // The filter also lets through the memory floor of the same shape's passes.
        var (code, output) = Run("bench", "kernels", "--quick", "--threads", "1", "--filter", "bn1d-500x500-fwdbwd");
        Assert.True(code == 0, output);
        var lines = output.Split('\n').Where(l => l.StartsWith("kernel ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["bn1d-500x500-fwdbwd", "floor-bn1d-500x500-fwdbwd"], lines.Select(l => l.Split(' ')[1]));
        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            Assert.Equal("ms", fields[2]);
            Assert.True(double.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal("gbs", fields[10]);
            Assert.True(double.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
    }

    [Fact]
    public void BadWidthsAndSizesAreNamedErrors()
    {
        var (code, output) = Run("bench", "train", "--model", "mlp", "--hidden", "500,x");
        Assert.Equal(2, code);
        Assert.Contains("--hidden: 'x'", output);
        (code, output) = Run("bench", "train", "--model", "mlp", "--batch-size", "1");
        Assert.Equal(2, code);
        Assert.Contains("--batch-size", output);
        Assert.Equal([500, 400], BenchTrainCommand.ParseWidths("500, 400"));
    }
}

using Xunit.Abstractions;
using NormSharp.Cli.Commands;
using NormSharp.Serialization;

namespace NormSharp.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 normsharp train … --distributed</c> against plain <c>normsharp train</c> in one process with
/// the same options (so the same global batches): MLP + BN on the two-moons toy (1,000 examples, global batch
/// 100 = 2 × 50), 15 steps across an epoch boundary. With SyncBatchNorm and the same optimizer called after the
/// allreduce, the saved weights and running statistics agree to 1e-5 — for SGD with momentum and for Adam with
/// a schedule; a checkpoint of one process resumes on two ranks to the same end; rank 0 alone writes files.
/// </summary>
public sealed class TrainDistributedOverMpiTests(ITestOutputHelper log) : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly string _dir = Directory.CreateTempSubdirectory("normsharp-train-ddp-").FullName;

    private static string[] Arguments(string optimizer) =>
        ["train", "--model", "mlp", "--hidden", "16,8", "--bn", "--dataset", "synthetic-moons", "--batch-size", "100", "--steps", "15",
         "--seed", "5", "--quiet", .. optimizer == "sgd" ? (string[])["--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9"]
             : ["--optimizer", "adam", "--lr", "0.01", "--lr-schedule", "exp:0.5"]];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void TwoRanks_EndWithTheWeightsOfTrainInOneProcess(string optimizer)
    {
        string one = Path.Combine(_dir, "one.safetensors"), two = Path.Combine(_dir, "two.safetensors");
        string metrics = Path.Combine(_dir, "metrics.csv");
        var (code, output) = MpiRun.CliWithoutMpirun(null, [.. Arguments(optimizer), "--save", one]);
        Assert.True(code == 0, output);
        (code, output) = MpiRun.Cli(2, [.. Arguments(optimizer), "--distributed", "--save", two, "--metrics", metrics]);
        Assert.True(code == 0, $"mpirun -np 2 normsharp train --distributed failed ({code}):\n{output}");
        // --quiet leaves the final line only, and only rank 0 prints it.
        // (Lines may start with a terminal's keypad-mode escape, hence Contains.)
        Assert.Single(output.Split('\n'), l => l.Contains("done: 15 steps on 2 rank(s)", StringComparison.Ordinal));
        Assert.DoesNotContain("Epoch 1/", output);
        Assert.Equal(3, File.ReadAllLines(metrics).Length); // header + one record per epoch (10 + 5 steps)

        var (largest, name) = LargestDifference(one, two);
        log.WriteLine($"{optimizer}: train --distributed on 2 ranks vs train in 1 process: largest difference {largest:G3} ({name})");
        Assert.True(largest <= Tolerance, $"2 ranks differ from 1 process by {largest:G3} in {name}");
        Assert.Equal("2", SafetensorsFile.Read(two).Metadata["normsharp.ranks"]);
    }

    [Fact]
    public void CheckpointOfOneProcess_ResumesOnTwoRanks()
    {
        string reference = Path.Combine(_dir, "reference.safetensors"), end = Path.Combine(_dir, "end.safetensors");
        string checkpoint = Path.Combine(_dir, "half.ckpt");
        string[] args = Arguments("adam");
        var (code, output) = MpiRun.CliWithoutMpirun(null, [.. args, "--save", reference]);
        Assert.True(code == 0, output);
        string[] firstSeven = [.. args.Select(a => a == "15" ? "7" : a)];
        (code, output) = MpiRun.CliWithoutMpirun(null, [.. firstSeven, "--distributed", "--checkpoint", checkpoint]);
        Assert.True(code == 0, output);
        Assert.Equal(7, Checkpoint.ReadPosition(checkpoint).Step);
        (code, output) = MpiRun.Cli(2, [.. args, "--distributed", "--resume", checkpoint, "--save", end]);
        Assert.True(code == 0, $"resume on 2 ranks failed ({code}):\n{output}");
        var (largest, name) = LargestDifference(reference, end);
        log.WriteLine($"7 steps in 1 process, 8 more on 2 ranks vs 15 in 1 process: largest difference {largest:G3} ({name})");
        Assert.True(largest <= Tolerance, $"resumed on 2 ranks differs from 1 process by {largest:G3} in {name}");
    }

    [Theory]
    [InlineData("--clip-value", "1", "--clip-value cannot combine with --distributed")]
    [InlineData("--on-nan", "skip-batch", "--on-nan skip-batch cannot combine with --distributed")]
    public void OptionsTheDistributedLoopLacks_AreRefusedWithExitCode2(string option, string value, string message)
    {
        var (code, output) = MpiRun.CliWithoutMpirun(null, [.. Arguments("sgd"), "--distributed", option, value]);
        Assert.Equal(2, code);
        Assert.Contains("error: " + message, output);
    }

    [Fact]
    public void NoSyncBn_WithoutDistributed_IsRefusedWithExitCode2()
    {
        var (code, output) = MpiRun.CliWithoutMpirun(null, [.. Arguments("sgd"), "--no-sync-bn"]);
        Assert.Equal(2, code);
        Assert.Contains("error: --no-sync-bn applies to --distributed runs only", output);
    }

    private static (double Largest, string Name) LargestDifference(string expectedPath, string actualPath)
    {
        var expected = SafetensorsFile.Read(expectedPath).Tensors;
        var actual = SafetensorsFile.Read(actualPath).Tensors;
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double largest = 0;
        string worst = "";
        foreach (var (name, tensor) in expected)
        {
            double d = DistributedCheck.MaxDifference(tensor.ToTensor().Span, actual[name].ToTensor().Span);
            if (d > largest || worst.Length == 0) (largest, worst) = (d, name);
        }
        return (largest, worst);
    }
}

using Xunit.Abstractions;
using NormSharp.Cli.Commands;
using NormSharp.Data;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Tests.Distributed;

/// <summary>
/// Acceptance (b) and (c) of the distributed issue over real MPI: 20 SGD steps of MLP + BN on 2 ranks
/// (<c>mpirun -np 2 normsharp distributed train</c>, global batch 500 = 2 × 250) end with the weights and
/// running statistics of one ordinary <see cref="Trainer"/> on the same global batches, to 1e-5; with plain BN
/// they do not. And a checkpoint written by 1 process resumes on 2 ranks to the same end point.
/// </summary>
public sealed class DataParallelTrainingOverMpiTests(ITestOutputHelper log) : IDisposable
{
    private const double Tolerance = 1e-5;
    private const int Steps = 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("normsharp-ddp-").FullName;

    // 2500 training examples / 500 = 5 batches per epoch: 20 steps cross three epoch boundaries.
    private static readonly string[] s_arguments =
        ["distributed", "train", "--model", "mlp", "--hidden", "48,24", "--bn", "--batch-size", "500", "--dataset", "synthetic",
         "--synthetic-examples", "3000", "--synthetic-features", "30", "--lr", "0.05", "--momentum", "0.9", "--seed", "3"];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TwoRanksWithSyncBn_EndWithTheWeightsOfOneProcess()
    {
        string checkpoint = Path.Combine(_dir, "ranks2.safetensors");
        RunOrFail(2, [.. s_arguments, "--steps", $"{Steps}", "--save", checkpoint]);
        var (largest, name) = LargestDifference(checkpoint, SingleProcessReference());
        log.WriteLine($"sync BN, 2 ranks vs 1 process: largest difference {largest:G3} ({name})");
        Assert.True(largest <= Tolerance, $"2 ranks differ from 1 process by {largest:G3} in {name}");
    }

    [Fact]
    public void TwoRanksWithPlainBn_DoNotMatchOneProcess()
    {
        // Plain BN: each rank's BN sees 250 examples, not 500 — a different model; its running statistics and
        // therefore its weights drift from the single-process run. This is why SyncBatchNorm exists.
        string checkpoint = Path.Combine(_dir, "plain.safetensors");
        RunOrFail(2, [.. s_arguments, "--steps", $"{Steps}", "--save", checkpoint, "--no-sync-bn"]);
        var (largest, name) = LargestDifference(checkpoint, SingleProcessReference());
        log.WriteLine($"plain BN, 2 ranks vs 1 process: largest difference {largest:G3} ({name})");
        Assert.True(largest > 1e-3, $"plain BN on 2 ranks should not match 1 process, but the largest difference is {largest:G3} ({name})");
    }

    [Fact]
    public void CheckpointOfOneProcess_ResumesOnTwoRanks()
    {
        string half = Path.Combine(_dir, "half.safetensors"), end = Path.Combine(_dir, "end.safetensors");
        var (code, output) = MpiRun.CliWithoutMpirun(null, [.. s_arguments, "--steps", $"{Steps / 2}", "--save", half]);
        Assert.True(code == 0, output);
        var (_, tail) = RunOrFail(2, [.. s_arguments, "--steps", $"{Steps}", "--resume", half, "--save", end]);
        Assert.Contains($"resumed at step {Steps / 2}", tail);
        Assert.Equal(Steps, Checkpoint.ReadPosition(end).Step);
        var (largest, name) = LargestDifference(end, SingleProcessReference());
        log.WriteLine($"1 process then 2 ranks vs 1 process: largest difference {largest:G3} ({name})");
        Assert.True(largest <= Tolerance, $"1 process + resume on 2 ranks differs from 1 process by {largest:G3} in {name}");
    }

    private static (int, string) RunOrFail(int ranks, string[] args)
    {
        var (code, output) = MpiRun.Cli(ranks, args);
        Assert.True(code == 0, $"mpirun -np {ranks} normsharp {string.Join(' ', args)} failed ({code}):\n{output}");
        Assert.Contains($"{ranks} rank(s)", output);
        return (code, output);
    }

    /// <summary>The state dict after <see cref="Steps"/> ordinary steps on the same global batches, in this process.</summary>
    private static IReadOnlyDictionary<string, Tensor> SingleProcessReference()
    {
        var settings = new DistributedTrainSettings("mlp", [48, 24], BatchNorm: true, SyncBatchNorm: false, BatchSize: 500, Steps: Steps,
            Dataset: "synthetic", SyntheticExamples: 3000, SyntheticFeatures: 30, LearningRate: 0.05f, Momentum: 0.9f, Seed: 3,
            Save: null, SaveEvery: null, Resume: null, Output: null, Evaluate: false, DataDirectory: null);
        var train = DistributedTrainingRun.LoadData(settings).Train;
        var model = DistributedModels.Build("mlp", settings.Hidden, true, train.ExampleShape, train.NumClasses, settings.Seed);
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.NamedParameters().Select(p => p.Parameter), 0.05f, 0.9f));
        var loader = new DataLoader(train, 500, shuffle: true, seed: 3, dropLast: true);
        for (int step = 0; step < Steps;)
        {
            if (!loader.TryNextBatch(out var x, out var y)) { loader.StartEpoch(); continue; }
            trainer.TrainStep(x, y);
            step++;
        }
        return model.StateDict();
    }

    private static (double Largest, string Name) LargestDifference(string checkpoint, IReadOnlyDictionary<string, Tensor> reference)
    {
        var file = SafetensorsFile.Read(checkpoint);
        double largest = 0;
        string worst = "";
        foreach (var (name, expected) in reference)
        {
            Assert.True(file.Tensors.ContainsKey("model." + name), $"checkpoint lacks model.{name}");
            double d = DistributedCheck.MaxDifference(expected.Span, file.Tensors["model." + name].ToTensor().Span);
            if (d > largest || worst.Length == 0) (largest, worst) = (d, name);
        }
        return (largest, worst);
    }
}

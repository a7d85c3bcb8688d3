using NormSharp.Cli;
using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Tests.Normalization;
using NormSharp.Training;

namespace NormSharp.Tests.Cli;

/// <summary><c>normsharp doctor</c> and <c>normsharp bn recalibrate</c> run in-process on model files and MNIST.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // redirects Console
public sealed class BnToolsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("normsharp-bn-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Output) Run(params string[] args) => CliRunner.Invoke(args);

    /// <summary>784 → Dense(16, no bias) → BN → ReLU → Dense(10): the smallest MNIST model with a BN layer.</summary>
    private static Sequential SmallBnModel() =>
        new(new Dense(784, 16, bias: false, rng: new Rng(11)), new BatchNorm1d(16), new ReLU(), new Dense(16, 10, rng: new Rng(12)));

    private string Save(Module model, string name)
    {
        string path = Path.Combine(_dir, name);
        ModelIO.Save(model, path);
        return path;
    }

    [Fact]
    public void DoctorReportsStaleStatisticsOfAFreshModelWithTheFix()
    {
        var (code, output) = Run("doctor", Save(SmallBnModel(), "fresh.safetensors"));
        Assert.True(code == 1, output);
        Assert.Contains("ERROR [statistics-never-updated] layer 1:", output);
        Assert.Contains("fix: ", output);
        Assert.Contains("batch size unknown", output);
    }

    [Fact]
    public void DoctorFindsNothingWrongWithACalibratedModelOnItsData()
    {
        var model = SmallBnModel();
        var train = DatasetRegistry.Load("mnist").Train;
        PreciseBatchNorm.Recalibrate(model, Enumerable.Range(0, 4).Select(i => InMemoryDataset.Gather(train.Features, Enumerable.Range(i * 250, 250).ToArray())));
        var (code, output) = Run("doctor", Save(model, "calibrated.safetensors"), "--data", "mnist", "--limit", "1000", "--batch-size", "64");
        Assert.True(code == 0, output);
        Assert.Contains("no BN problems found", output);
        Assert.Contains("validation accuracy:", output);
        Assert.Contains("batch size 64 (--batch-size)", output);
    }

    [Fact]
    public void DoctorReadsTheBatchSizeOfACheckpoint()
    {
        var data = SyntheticData.Blobs(40, classes: 10, features: 784, seed: 3);
        var model = SmallBnModel();
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.NamedParameters().Select(p => p.Parameter), lr: 0.01f));
        var loader = new DataLoader(data, 4, seed: 1);
        trainer.Fit(loader, new FitOptions { MaxSteps = 3 });
        string path = Path.Combine(_dir, "run.ckpt.safetensors");
        Checkpoint.Save(path, trainer, loader, new TrainingPosition(3, 0, 3, false));
        var (code, output) = Run("doctor", path);
        Assert.True(code == 1, output);
        Assert.Contains("(checkpoint)", output);
        Assert.Contains("batch size 4 (recorded in the file)", output);
        Assert.Contains("WARNING [batch-too-small] layer 1: 1 BN layer normalises over only 4 samples", output);
    }

    [Fact]
    public void RecalibrateSetsRunningStatisticsToThePopulationStatisticsOfTheBatches()
    {
        var model = SmallBnModel();
        string input = Save(model, "model.safetensors"), output = Path.Combine(_dir, "precise.safetensors");
        var (code, text) = Run("bn", "recalibrate", "--model", input, "--data", "mnist", "--batches", "3", "--batch-size", "50", "--seed", "7",
            "--out", output, "--skip-eval");
        Assert.True(code == 0, text);
        Assert.Contains("recalibrated 1 BN layers", text);

        // The same 3 batches the command drew, through the same Dense layer: their exact mean and unbiased variance.
        var loader = new DataLoader(DatasetRegistry.Load("mnist").Train, 50, shuffle: true, seed: 7, dropLast: true);
        loader.StartEpoch();
        var statistics = new BatchNormStatistics(16);
        var batchStatistics = new BatchNormStatistics(16);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(loader.TryNextBatch(out var x, out _));
            var z = model[0].Forward(x);
            batchStatistics.Compute(z.Span, 50, 1);
            statistics.Merge(batchStatistics);
        }
        var recalibrated = (BatchNorm1d)((Sequential)ModelIO.Load(output))[1];
        for (int c = 0; c < 16; c++)
        {
            Assert.Equal(statistics.Mean[c], recalibrated.RunningMean!.Span[c], 1e-4 * (1 + Math.Abs(statistics.Mean[c])));
            Assert.Equal(statistics.UnbiasedVariance(c), recalibrated.RunningVar!.Span[c], 1e-4 * (1 + statistics.UnbiasedVariance(c)));
        }
        Assert.Equal("3 batches of 50 from mnist/train, seed 7", SafetensorsFile.Read(output).Metadata["normsharp.precise_bn"]);
    }

    [Fact]
    public void RecalibrateShowsTestAccuracyBeforeAndAfter()
    {
        var (code, text) = Run("bn", "recalibrate", "--model", Save(SmallBnModel(), "m.safetensors"), "--data", "mnist", "--batches", "2",
            "--out", Path.Combine(_dir, "m2.safetensors"));
        Assert.True(code == 0, text);
        Assert.Matches(@"test accuracy, eval mode \(running statistics\): \d+\.\d\d% before, \d+\.\d\d% after; batch statistics: \d+\.\d\d%", text);
    }

    [Fact]
    public void BadInputsAreExplained()
    {
        var (code, text) = Run("doctor", Path.Combine(_dir, "missing.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", text);
        string model = Save(SmallBnModel(), "m.safetensors");
        (code, text) = Run("bn", "recalibrate", "--model", model, "--data", "cifar", "--out", Path.Combine(_dir, "x.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("unknown dataset 'cifar'", text);
        (code, text) = Run("bn", "recalibrate", "--model", model, "--data", "mnist", "--batches", "0", "--out", Path.Combine(_dir, "x.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("--batches must be at least 1", text);
        (code, text) = Run("bn", "recalibrate", "--model", Save(new Sequential(new Dense(784, 10)), "nobn.safetensors"), "--data", "mnist",
            "--out", Path.Combine(_dir, "x.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("no BN layer", text);
    }
}

using NormSharp.Cli;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Serialization;
using NormSharp.Tests.Inference;
using NormSharp.Tests.Serialization;
using NormSharp.Training;

namespace NormSharp.Tests.Cli;

/// <summary><c>normsharp predict | export onnx | fold | inspect</c> run in-process: exit codes, files, messages.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // redirects Console
public sealed class ModelCommandTests : IDisposable
{
    private readonly TemporaryDirectory _dir = PersistenceModels.TempDir();

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Output) Run(params string[] args) => CliRunner.Invoke(args);

    private string SaveLeNet()
    {
        var model = PersistenceModels.WithRandomBatchNormState(ModelZoo.LeNet(options: new ModelOptions
        {
            Activation = "sigmoid", Normalization = NormalizationKind.BatchNorm, Rng = new Rng(3),
        }));
        string path = _dir.File("lenet.safetensors");
        ModelIO.Save(model, path, new Dictionary<string, string> { ["normsharp.dataset"] = "mnist" });
        return path;
    }

    [Fact]
    public void PredictReportsAccuracyAndWritesTheCsv()
    {
        var model = PersistenceModels.WithRandomBatchNormState(ModelZoo.Mlp(784, [32], 10,
            new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(2) }));
        string path = _dir.File("mlp.safetensors");
        ModelIO.Save(model, path);
        string csv = _dir.File("preds.csv");

        var (code, output) = Run("predict", "--model", path, "--data", "mnist", "--split", "test", "--out", csv);

        Assert.True(code == 0, output);
        var test = DatasetRegistry.Load("mnist").Test;
        var expected = new Trainer(model, new NormSharp.Losses.CrossEntropyLoss(), new NormSharp.Optimizers.Sgd(model.NamedParameters().Select(p => p.Parameter), 0.1f))
            .Evaluate(test).Accuracy!.Value;
        Assert.Contains($"accuracy: {100 * expected:F2}% ", output);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("index,prediction,label", lines[0]);
        Assert.Equal(10_001, lines.Length);
        Assert.Equal($"0,{ArgMax(model, test, 0)},{(int)test.Targets[0]}", lines[1]);
    }

    [Fact]
    public void PredictFeedsImagesToConvolutionalModels()
    {
        string model = SaveLeNet();

        var (code, output) = Run("predict", "--model", model, "--data", "fashion-mnist", "--split", "test", "--batch-size", "500");

        Assert.True(code == 0, output);
        Assert.Contains("fashion-mnist/test: 10000 examples, 10 classes", output);
        Assert.Contains("accuracy: ", output);
    }

    [Fact]
    public void PredictReadsCsvData()
    {
        var model = new Sequential(new Dense(3, 4, rng: new Rng(1)), new BatchNorm1d(4), new ReLU(), new Dense(4, 2, rng: new Rng(2)));
        string path = _dir.File("small.safetensors");
        ModelIO.Save(PersistenceModels.WithRandomBatchNormState(model), path);
        string data = _dir.File("data.csv");
        File.WriteAllLines(data, ["a,b,c,label", "0.1,0.2,0.3,yes", "1,-1,0.5,no", "-0.3,0.7,2,yes"]);
        string csv = _dir.File("out.csv");

        var (code, output) = Run("predict", "--model", path, "--data", data, "--out", csv);

        Assert.True(code == 0, output);
        Assert.Contains("3 examples, 2 classes", output);
        Assert.Contains("accuracy: ", output);
        Assert.All(File.ReadAllLines(csv).Skip(1), line => Assert.Matches(@"^\d,(yes|no),(yes|no)$", line));
    }

    [Fact]
    public void PredictRejectsBadPathsAndData()
    {
        string model = SaveLeNet();
        var missing = Run("predict", "--model", _dir.File("nope.safetensors"), "--data", "mnist");
        Assert.Equal(2, missing.Code);
        Assert.Contains("--model '" + _dir.File("nope.safetensors") + "' does not exist", missing.Output);

        var badData = Run("predict", "--model", model, "--data", _dir.File("nope.csv"));
        Assert.Equal(2, badData.Code);
        Assert.Contains("is neither a registered dataset", badData.Output);

        File.WriteAllText(_dir.File("junk.safetensors"), "not a safetensors file");
        var junk = Run("predict", "--model", _dir.File("junk.safetensors"), "--data", "mnist");
        Assert.Equal(2, junk.Code);
        Assert.Contains("is not a readable safetensors file", junk.Output);

        var badOut = Run("predict", "--model", model, "--data", "mnist", "--out", _dir.File("no/such/folder/p.csv"));
        Assert.Equal(2, badOut.Code);
        Assert.Contains("does not exist", badOut.Output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExportOnnxWritesAFileOnnxRuntimeAgreesWith(bool fold)
    {
        string model = SaveLeNet();
        string onnx = _dir.File("lenet.onnx");

        var (code, output) = Run(["export", "onnx", "--model", model, "--out", onnx, "--input-shape", "1,28,28", .. fold ? ["--fold-bn"] : Array.Empty<string>()]);

        Assert.True(code == 0, output);
        Assert.Contains(fold ? "BatchNorm folded" : "BatchNormalization×4", output);
        var network = ModelIO.Load(model);
        var x = PersistenceModels.Input(8, 3, 1, 28, 28);
        Relative.Close(PersistenceModels.Predict(network, x), OnnxExportTests.RunOnnx(File.ReadAllBytes(onnx), x), "CLI export in ONNX Runtime");
    }

    [Fact]
    public void ExportRejectsBadArguments()
    {
        string model = SaveLeNet();
        Assert.Equal(2, Run("export", "onnx", "--model", _dir.File("nope.safetensors"), "--out", _dir.File("m.onnx")).Code);
        Assert.Equal(2, Run("export", "onnx", "--model", model, "--out", _dir.File("missing/m.onnx")).Code);
        var (code, output) = Run("export", "onnx", "--model", model, "--out", _dir.File("m.onnx"), "--input-shape", "1,x");
        Assert.Equal(2, code);
        Assert.Contains("--input-shape '1,x'", output);
    }

    [Fact]
    public void FoldWritesAModelThatPredictsTheSame()
    {
        string model = SaveLeNet();
        string folded = _dir.File("folded.safetensors");

        var (code, output) = Run("fold", "--model", model, "--out", folded);

        Assert.True(code == 0, output);
        Assert.Contains("folded 4 BatchNorm layers (1, 5, 10, 13)", output);
        var original = ModelIO.Load(model);
        var loaded = ModelIO.Load(folded);
        Assert.DoesNotContain(loaded.NamedModules(), m => m.Module is BatchNormBase);
        Assert.Equal("lenet.safetensors", SafetensorsFile.Read(folded).Metadata[NormSharp.Cli.Commands.FoldCommand.FoldedFromKey]);
        var x = PersistenceModels.Input(9, 4, 1, 28, 28);
        Relative.Close(PersistenceModels.Predict(original, x), PersistenceModels.Predict(loaded, x), "folded by the CLI");
        Assert.Equal(2, Run("fold", "--model", _dir.File("nope.safetensors"), "--out", folded).Code);
    }

    [Fact]
    public void InspectShowsLayersAndBatchNormStatistics()
    {
        string model = SaveLeNet();
        var bn = (BatchNormBase)((Sequential)ModelIO.Load(model))[1];

        var (code, output) = Run("inspect", model);

        Assert.True(code == 0, output);
        Assert.Contains("Conv2d", output);
        Assert.Contains("running_var", output);
        Assert.Contains(((long)bn.NumBatchesTracked![0]).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), output);
        Assert.Contains("normsharp.dataset", output);

        var channels = Run("inspect", model, "--channels");
        Assert.True(channels.Code == 0, channels.Output);
        Assert.Contains(bn.RunningVar![0].ToString("G4", System.Globalization.CultureInfo.InvariantCulture), channels.Output);

        Assert.Equal(2, Run("inspect", _dir.File("nope.safetensors")).Code);
        var weightsOnly = _dir.File("weights.safetensors");
        ModelIO.SaveWeights(ModelIO.Load(model), weightsOnly);
        var (weightsCode, weightsOutput) = Run("inspect", weightsOnly);
        Assert.Equal(2, weightsCode);
        Assert.Contains("holds weights only", weightsOutput);
    }

    [Fact]
    public void CommandsAcceptATrainingCheckpoint()
    {
        var data = SyntheticData.Blobs(64, classes: 3, features: 2);
        var model = new Sequential(new Dense(2, 8, rng: new Rng(1)), new BatchNorm1d(8), new ReLU(), new Dense(8, 3, rng: new Rng(2)));
        var trainer = new Trainer(model, new NormSharp.Losses.CrossEntropyLoss(), new NormSharp.Optimizers.Adam(model.NamedParameters().Select(p => p.Parameter)));
        var loader = new DataLoader(data, 16, shuffle: true, seed: 1);
        var result = trainer.Fit(loader, new FitOptions { Epochs = 2 });
        string checkpoint = _dir.File("run.ckpt.safetensors");
        Checkpoint.Save(checkpoint, trainer, loader, TrainingPosition.After(result, loader));

        var (code, output) = Run("inspect", checkpoint);
        Assert.True(code == 0, output);
        Assert.Contains(Checkpoint.MetadataKey, output);
        Assert.Matches(@"│ 1\s+│ 8\s+│ 8\s+│", output); // BN "1": 8 channels, 8 batches tracked (2 epochs × 4)

        string folded = _dir.File("folded.safetensors");
        var fold = Run("fold", "--model", checkpoint, "--out", folded);
        Assert.True(fold.Code == 0, fold.Output);
        Relative.Close(PersistenceModels.Predict(model, data.Features), PersistenceModels.Predict(ModelIO.Load(folded), data.Features), "folded checkpoint");
    }

    private static int ArgMax(Module model, InMemoryDataset data, int index)
    {
        var x = Tensor.FromArray(data.Features.Span.Slice(index * 784, 784).ToArray(), 1, 784);
        var y = PersistenceModels.Predict(model, x);
        return Array.IndexOf(y, y.Max());
    }
}

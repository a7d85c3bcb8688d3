using NormSharp.Cli;
using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Serialization;

namespace NormSharp.Tests.Cli;

/// <summary><c>normsharp transfer</c> on a tiny MNIST model, in-process.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // redirects Console
public sealed class TransferCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "normsharp-transfer-cli-" + Guid.NewGuid().ToString("N"));

    public TransferCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (int Code, string Output) Run(params string[] args) => CliRunner.Invoke(args);

    /// <summary>784 → 16 (Dense, BN, ReLU) → 8 (Dense, BN, ReLU) → 10, saved with its architecture.</summary>
    private string SavePretrained(out Sequential model)
    {
        model = ModelZoo.Mlp(784, [16, 8], 10, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(7) });
        // Distinctive running statistics, to see them restored.
        ((BatchNorm1d)model[1]).RunningMean!.Span.Fill(0.25f);
        string path = Path.Combine(_dir, "pretrained.safetensors");
        ModelIO.Save(model, path);
        return path;
    }

    [Fact]
    public void RestoresFreezesCachesTrainsAndSaves()
    {
        string pretrained = SavePretrained(out var source);
        string saved = Path.Combine(_dir, "digits59.safetensors");

        var (code, output) = Run("transfer", "--from", pretrained, "--restore", @"^[0-2]\.", "--freeze", @"^[0-2]\.", "--cache-frozen",
            "--dataset", "mnist", "--classes", "5-9", "--epochs", "2", "--train-limit", "600", "--save", saved);

        Assert.True(code == 0, output);
        Assert.Contains("new output layer: Dense(8 → 5) replaces Dense(8 → 10)", output);
        Assert.Contains("loaded (6): 0.weight, 1.weight, 1.bias, 1.running_mean, 1.running_var, 1.num_batches_tracked", output);
        Assert.Contains("skipped (", output);
        Assert.Contains("3.weight (does not match", output);
        Assert.Contains("missing (0)", output);
        Assert.Contains("BatchNorm layers in inference mode: 1", output);
        Assert.Contains("600 training, ", output);
        Assert.Contains("cached the outputs of the first 3 layers", output);
        Assert.Contains("epoch 2: loss", output);
        Assert.Contains("test accuracy", output);

        var model = (Sequential)ModelIO.Load(saved);
        var head = Assert.IsType<Dense>(model[^1]);
        Assert.Equal(5, head.OutFeatures);
        // The frozen, restored first layer is bit-identical to the pretrained one; the BN statistics too.
        Assert.Equal(((Dense)source[0]).WeightParameter.Value.ToArray(), ((Dense)model[0]).WeightParameter.Value.ToArray());
        Assert.All(((BatchNorm1d)model[1]).RunningMean!.ToArray(), v => Assert.Equal(0.25f, v));
        // The trained layers moved away from the pretrained values.
        Assert.NotEqual(((Dense)source[3]).WeightParameter.Value.ToArray(), ((Dense)model[3]).WeightParameter.Value.ToArray());
    }

    [Fact]
    public void CacheFrozen_WithoutFrozenLayers_IsAClearError()
    {
        string pretrained = SavePretrained(out _);
        var (code, output) = Run("transfer", "--from", pretrained, "--restore", @"^0\.", "--cache-frozen", "--classes", "0-4", "--epochs", "1", "--train-limit", "100");
        Assert.Equal(1, code);
        Assert.Contains("--cache-frozen: the model's first layer is not frozen", output);
    }

    [Fact]
    public void BadArguments_NameWhatIsWrong()
    {
        string pretrained = SavePretrained(out _);
        var (code, output) = Run("transfer", "--from", pretrained, "--restore", "x", "--classes", "5-12");
        Assert.Equal(1, code);
        Assert.Contains("class 10 is outside [0, 10)", output);

        (code, output) = Run("transfer", "--from", Path.Combine(_dir, "nope.safetensors"), "--restore", "x", "--classes", "5-9");
        Assert.Equal(1, code);
        Assert.Contains("--from: no file", output);

        string weightsOnly = Path.Combine(_dir, "weights.safetensors");
        ModelIO.SaveWeights(ModelZoo.Mlp(784, [4], 10), weightsOnly);
        (code, output) = Run("transfer", "--from", weightsOnly, "--restore", "x", "--classes", "5-9");
        Assert.Equal(1, code);
        Assert.Contains("holds weights only", output);
    }
}

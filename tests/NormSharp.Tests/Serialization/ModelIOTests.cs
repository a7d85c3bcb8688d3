using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Tests.Serialization;

/// <summary><see cref="ModelIO"/>: bit-exact round trips, PyTorch key names and dtypes, architecture
/// JSON for every layer type, and clear errors for files that do not fit.</summary>
public class ModelIOTests
{
    public static TheoryData<string> Models => ["mlp", "lenet"];

    private static (Sequential Model, Tensor Input) Build(string name) => name == "mlp"
        ? (PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn()), PersistenceModels.Input(3, 8, 20))
        : (PersistenceModels.WithRandomBatchNormState(PersistenceModels.LeNetBn()), PersistenceModels.Input(3, 4, 1, 28, 28));

    [Theory]
    [MemberData(nameof(Models))]
    public void SaveThenLoadGivesBitIdenticalStateAndPredictions(string name)
    {
        using var dir = PersistenceModels.TempDir();
        var (model, x) = Build(name);
        var expected = PersistenceModels.Predict(model, x);
        string path = dir.File("m.safetensors");

        ModelIO.Save(model, path);
        var loaded = ModelIO.Load(path);

        var before = model.StateDict();
        var after = loaded.StateDict();
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (key, tensor) in before)
        {
            Assert.Equal(tensor.Shape, after[key].Shape);
            Assert.Equal(tensor.ToArray(), after[key].ToArray()); // exact float equality
        }
        Assert.True(loaded.Training, "a loaded model starts in training mode, like a new PyTorch module");
        Assert.Equal(expected, PersistenceModels.Predict(loaded, x));
    }

    [Fact]
    public void KeysAndDtypesAreThoseOfAPyTorchStateDict()
    {
        using var dir = PersistenceModels.TempDir();
        var model = PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn());
        string path = dir.File("m.safetensors");
        ModelIO.Save(model, path);

        var file = SafetensorsFile.Read(path);
        Assert.Equal(
            ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
             "3.weight", "3.bias", "4.weight", "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked",
             "6.weight", "6.bias"],
            file.Tensors.Keys);
        Assert.Equal(SafetensorsDType.I64, file.Tensors["1.num_batches_tracked"].DType);
        Assert.Empty(file.Tensors["1.num_batches_tracked"].Shape); // 0-dim, like torch.tensor(0)
        Assert.Equal([32, 20], file.Tensors["0.weight"].Shape);   // Linear layout [out, in]
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Contains("\"BatchNorm1d\"", file.Metadata[ModelIO.ArchitectureKey]);
    }

    [Fact]
    public void ArchitectureRoundTripsEveryConstructorArgument()
    {
        var model = new Sequential(
            new Conv2d(3, 8, 3, stride: 2, padding: 1, bias: false), new BatchNorm2d(8, eps: 1e-3f, momentum: 0.01f),
            new MaxPool2d(3, 2, 1), new AvgPool2d(2), new Flatten(),
            new Sequential(new Dense(8, 8), new BatchNorm1d(8, momentum: null, affine: false)),
            new Dense(8, 2, bias: false));

        var json = ArchitectureJson.Serialize(model);
        var rebuilt = (Sequential)ArchitectureJson.Deserialize(json);

        Assert.Equal(json, ArchitectureJson.Serialize(rebuilt));
        var conv = Assert.IsType<Conv2d>(rebuilt[0]);
        Assert.Equal((3, 8, 3, 2, 1, false), (conv.InChannels, conv.OutChannels, conv.KernelSize, conv.Stride, conv.Padding, conv.Bias));
        var bn = Assert.IsType<BatchNorm2d>(rebuilt[1]);
        Assert.Equal((1e-3f, (float?)0.01f), (bn.Eps, bn.Momentum));
        var pool = Assert.IsType<MaxPool2d>(rebuilt[2]);
        Assert.Equal((3, 2, 1), (pool.KernelSize, pool.Stride, pool.Padding));
        var innerBn = Assert.IsType<BatchNorm1d>(((Sequential)rebuilt[5])[1]);
        Assert.Null(innerBn.Momentum);
        Assert.False(innerBn.Affine);
        Assert.False(Assert.IsType<Dense>(rebuilt[6]).Bias);
        Assert.Equal(model.StateDict().Keys, rebuilt.StateDict().Keys);
    }

    [Fact]
    public void LoadingDoesNotAdvanceTheGlobalGenerator()
    {
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("m.safetensors");
        ModelIO.Save(PersistenceModels.MlpBn(), path);
        ulong[] before = RandomState.Global.GetState();
        ModelIO.Load(path);
        Assert.Equal(before, RandomState.Global.GetState());
    }

    [Fact]
    public void WeightsOnlyFileNeedsLoadWeights()
    {
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("w.safetensors");
        var model = PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn());
        ModelIO.SaveWeights(model, path);

        var e = Assert.Throws<InvalidDataException>(() => ModelIO.Load(path));
        Assert.Contains("LoadWeights", e.Message);

        var target = PersistenceModels.MlpBn(seed: 99);
        ModelIO.LoadWeights(target, path);
        var x = PersistenceModels.Input(5, 3, 20);
        Assert.Equal(PersistenceModels.Predict(model, x), PersistenceModels.Predict(target, x));
    }

    [Fact]
    public void WeightsOfAnotherArchitectureAreAClearError()
    {
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("w.safetensors");
        ModelIO.SaveWeights(PersistenceModels.MlpBn(inputs: 20), path);

        var shape = Assert.Throws<InvalidDataException>(() => ModelIO.LoadWeights(PersistenceModels.MlpBn(inputs: 30), path));
        Assert.Contains("0.weight", shape.Message);
        Assert.Contains("[32, 20]", shape.Message);

        var keys = Assert.Throws<InvalidDataException>(() => ModelIO.LoadWeights(PersistenceModels.LeNetBn(), path));
        Assert.Contains("missing", keys.Message);
    }

    [Fact]
    public void UnknownLayerTypeInTheArchitectureIsAClearError()
    {
        const string json = """{"format": "normsharp-architecture", "version": 1, "model": {"type": "System.IO.File", "args": {}}}""";
        var e = Assert.Throws<InvalidDataException>(() => ArchitectureJson.Deserialize(json));
        Assert.Contains("unknown layer type 'System.IO.File'", e.Message);
    }

    [Fact]
    public void DeeplyNestedArchitectureIsRejectedBeforeRecursing()
    {
        string json = """{"format": "normsharp-architecture", "version": 1, "model": """ + new string('[', 10_000) + new string(']', 10_000) + "}";
        var e = Assert.Throws<InvalidDataException>(() => ArchitectureJson.Deserialize(json));
        Assert.Contains("nested deeper than", e.Message);
    }

    [Fact]
    public void BadArgumentValueNamesThePath()
    {
        const string json = """{"format": "normsharp-architecture", "version": 1, "model": {"type": "Sequential", "args": {"layers": [{"type": "Dense", "args": {"inFeatures": "many", "outFeatures": 2}}]}}}""";
        var e = Assert.Throws<InvalidDataException>(() => ArchitectureJson.Deserialize(json));
        Assert.Contains("model.layers[0].inFeatures", e.Message);
    }
}

using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NormSharp.Layers;
using NormSharp.Onnx;
using NormSharp.Onnx.Proto;
using NormSharp.Tests.Serialization;

namespace NormSharp.Tests.Inference;

/// <summary>Exported graphs run in ONNX Runtime and agree with NormSharp's eval-mode forward to 1e-5 relative.</summary>
public sealed class OnnxExportTests
{
    public static TheoryData<string, bool> Models => new()
    {
        { "mlp", false }, { "mlp", true }, { "lenet", false }, { "lenet", true },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeAgrees(string name, bool foldBatchNorm)
    {
        var (model, x) = Build(name);
        var expected = PersistenceModels.Predict(model, x);

        var options = new OnnxExportOptions { FoldBatchNorm = foldBatchNorm };
        var proto = OnnxExporter.ToModelProto(model, options);
        var actual = RunOnnx(OnnxExporter.ToBytes(model, options), x);

        Assert.Equal(OnnxExportOptions.Opset, proto.OpsetImport.Single().Version);
        Assert.Equal(foldBatchNorm ? 0 : name == "mlp" ? 2 : 4, proto.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
        Relative.Close(expected, actual, $"{name} (fold: {foldBatchNorm}) in ONNX Runtime");
    }

    [Fact]
    public void GraphNamesWeightsByStateDictKeys()
    {
        var (model, _) = Build("mlp");
        var graph = OnnxExporter.ToModelProto(model).Graph;

        Assert.Equal(["Gemm", "BatchNormalization", "Relu", "Gemm", "BatchNormalization", "Relu", "Gemm"], graph.Node.Select(n => n.OpType));
        Assert.Contains("1.running_var", graph.Initializer.Select(t => t.Name));
        Assert.Equal("output", graph.Node[^1].Output.Single());
        var input = graph.Input.Single().Type.TensorType.Shape.Dim;
        Assert.Equal("N", input[0].DimParam);
        Assert.Equal(20, input[1].DimValue);
        Assert.Equal(4, graph.Output.Single().Type.TensorType.Shape.Dim[1].DimValue);
    }

    [Fact]
    public void PaddedPoolsAndConvolutionsAgree()
    {
        var rng = new Rng(11);
        var model = PersistenceModels.WithRandomBatchNormState(new Sequential(
            new Conv2d(2, 4, 3, stride: 2, padding: 1, bias: false, rng: rng), new BatchNorm2d(4, affine: false),
            new MaxPool2d(3, stride: 1, padding: 1), new AvgPool2d(3, stride: 2, padding: 1), new Flatten(),
            new Dense(36, 3, bias: false, rng: rng)));
        var x = PersistenceModels.Input(12, 5, 2, 9, 9);
        var expected = PersistenceModels.Predict(model, x);

        var actual = RunOnnx(OnnxExporter.ToBytes(model, new OnnxExportOptions { ExampleShape = [2, 9, 9] }), x);

        Relative.Close(expected, actual, "padded conv/pools in ONNX Runtime");
    }

    [Fact]
    public void EveryActivationAgrees()
    {
        var rng = new Rng(13);
        var model = new Sequential(
            new Dense(6, 8, rng: rng), new LeakyReLU(0.2f), new Dense(8, 8, rng: rng), new ELU(0.7f),
            new Dense(8, 8, rng: rng), new SELU(), new Dense(8, 8, rng: rng), new Tanh(),
            new Dense(8, 8, rng: rng), new Sigmoid(), new Dense(8, 8, rng: rng), new ReLU(), new Identity());
        var x = PersistenceModels.Input(14, 32, 6);
        for (int i = 0; i < x.Size; i++) x[i] *= 3; // reach the saturated and negative regimes

        var actual = RunOnnx(OnnxExporter.ToBytes(model), x);

        Relative.Close(PersistenceModels.Predict(model, x), actual, "activations in ONNX Runtime");
    }

    [Fact]
    public void ExportWritesAFileAtomically()
    {
        var (model, x) = Build("lenet");
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("lenet.onnx");

        OnnxExporter.Export(model, path, new OnnxExportOptions { ExampleShape = [1, 28, 28] });

        Assert.False(File.Exists(path + NormSharp.Serialization.AtomicFile.TemporarySuffix));
        var parsed = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal(10, parsed.Graph.Output.Single().Type.TensorType.Shape.Dim[1].DimValue);
        Relative.Close(PersistenceModels.Predict(model, x), RunOnnx(File.ReadAllBytes(path), x), "LeNet from the file");
    }

    [Fact]
    public void UnsupportedLayersAreNamed()
    {
        var model = new Sequential(new Dense(4, 4, rng: new Rng(1)), new LayerNorm([4]));
        var error = Assert.Throws<NotSupportedException>(() => OnnxExporter.ToModelProto(model));
        Assert.Contains("layer '1' (LayerNorm", error.Message);

        var batchStatistics = new Sequential(new Dense(4, 4, rng: new Rng(1)), new BatchNorm1d(4, trackRunningStats: false));
        Assert.Contains("track_running_stats=False", Assert.Throws<NotSupportedException>(() => OnnxExporter.ToModelProto(batchStatistics)).Message);
    }

    internal static (Module Model, Tensor X) Build(string name) => name == "mlp"
        ? (PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn()), PersistenceModels.Input(3, 16, 20))
        : (PersistenceModels.WithRandomBatchNormState(PersistenceModels.LeNetBn()), PersistenceModels.Input(4, 4, 1, 28, 28));

    internal static float[] RunOnnx(byte[] model, Tensor x)
    {
        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(x.ToArray(), x.Shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input)]);
        return results.Single().AsTensor<float>().ToArray();
    }
}

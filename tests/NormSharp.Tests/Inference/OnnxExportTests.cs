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
        { "mlp", false }, { "mlp", true }, { "lenet", false }, { "lenet", true }, { "resnet", false }, { "resnet", true },
    };

    private static readonly Dictionary<string, int> s_batchNormCount = new() { ["mlp"] = 2, ["lenet"] = 4, ["resnet"] = 7 };

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
        Assert.Equal(foldBatchNorm ? 0 : s_batchNormCount[name], proto.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
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
    public void ResidualPReluRReluAndDropoutMapToTheirOperators()
    {
        var (model, _) = Build("resnet");
        var graph = OnnxExporter.ToModelProto(model).Graph;
        var slopes = graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.ToArray());

        // PRelu broadcasts its slope from the right: [C, 1, 1] over NCHW, [C] over [N, C], [1] when shared.
        Assert.Equal([4L, 1, 1], slopes["2.weight"]);
        Assert.Equal([1L], slopes["5.body.2.weight"]);
        Assert.Equal([10L], slopes["11.weight"]);
        Assert.Equal(4, graph.Node.Count(n => n.OpType == "PRelu"));
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "Add"));
        var add = graph.Node.Single(n => n.Name == "5.Add");
        Assert.Equal(["5.body.4.out", "5.shortcut.1.out"], add.Input);
        Assert.Equal(["3.body.4.out", "2.out"], graph.Node.Single(n => n.Name == "3.Add").Input); // identity shortcut
        var rrelu = graph.Node.Where(n => n.Name is "3.body.2.LeakyRelu" or "12.LeakyRelu").Select(n => n.Attribute.Single().F);
        Assert.Equal([0.2f, (1f / 8f + 1f / 3f) / 2f], rrelu);
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Dropout" || n.Name.StartsWith("7.", StringComparison.Ordinal));
    }

    [Fact]
    public void ModelsStartingWithAResidualInferTheInputShape()
    {
        var rng = new Rng(21);
        var model = PersistenceModels.WithRandomBatchNormState(new Sequential(
            new Residual(new Sequential(new Dense(6, 6, rng: rng), new BatchNorm1d(6), new PReLU(6, 0.1f)), new Dense(6, 6, rng: rng)),
            new Dropout(0.2f), new Residual(new Dropout(0.4f))));
        var x = PersistenceModels.Input(22, 8, 6);

        var graph = OnnxExporter.ToModelProto(model).Graph;
        var actual = RunOnnx(OnnxExporter.ToBytes(model), x);

        Assert.Equal(6, graph.Input.Single().Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Equal("output", graph.Node[^1].Output.Single()); // Residual(Dropout) is x + x
        Relative.Close(PersistenceModels.Predict(model, x), actual, "residual MLP with dropout in ONNX Runtime");
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

    internal static (Module Model, Tensor X) Build(string name) => name switch
    {
        "mlp" => (PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn()), PersistenceModels.Input(3, 16, 20)),
        "lenet" => (PersistenceModels.WithRandomBatchNormState(PersistenceModels.LeNetBn()), PersistenceModels.Input(4, 4, 1, 28, 28)),
        "resnet" => (WithRandomSlopes(PersistenceModels.WithRandomBatchNormState(ResNetBlocks())), PersistenceModels.Input(5, 4, 2, 8, 8)),
        _ => throw new ArgumentException($"unknown test model '{name}'", nameof(name)),
    };

    /// <summary>
    /// Two ResNet basic blocks (He et al. 2016, fig. 2) on [N, 2, 8, 8]: Conv+BN+PReLU stem, an identity-shortcut block,
    /// a stride-2 block with a projection shortcut (1×1 Conv + BN), then a head with BN, PReLU, RReLU and dropout —
    /// every layer that came after the first exporter.
    /// </summary>
    internal static Sequential ResNetBlocks(ulong seed = 3)
    {
        var rng = new Rng(seed);
        return new Sequential(
            new Conv2d(2, 4, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(4), new PReLU(4),
            new Residual(new Sequential(
                new Conv2d(4, 4, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(4), new RReLU(0.1f, 0.3f),
                new Conv2d(4, 4, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(4))),
            new ReLU(),
            new Residual(
                new Sequential(
                    new Conv2d(4, 6, 3, stride: 2, padding: 1, bias: false, rng: rng), new BatchNorm2d(6), new PReLU(),
                    new Conv2d(6, 6, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(6)),
                new Sequential(new Conv2d(4, 6, 1, stride: 2, bias: false, rng: rng), new BatchNorm2d(6))),
            new PReLU(6), new Dropout(0.3f), new Flatten(),
            new Dense(96, 10, rng: rng), new BatchNorm1d(10), new PReLU(10), new RReLU(), new Dropout(),
            new Dense(10, 3, rng: rng));
    }

    /// <summary>Gives every PReLU distinct slopes, negative ones included, so a misplaced or mis-broadcast slope shows.</summary>
    internal static T WithRandomSlopes<T>(T model, ulong seed = 9) where T : Module
    {
        var rng = new Rng(seed);
        foreach (var (_, module) in model.NamedModules())
            if (module is PReLU prelu)
                for (int c = 0; c < prelu.NumParameters; c++) prelu.WeightParameter.Value[c] = rng.NextUniform(-0.5f, 0.8f);
        return model;
    }

    internal static float[] RunOnnx(byte[] model, Tensor x)
    {
        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(x.ToArray(), x.Shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input)]);
        return results.Single().AsTensor<float>().ToArray();
    }
}

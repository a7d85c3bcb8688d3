using Google.Protobuf;
using NormSharp.Inference;
using NormSharp.Layers;
using NormSharp.Onnx.Proto;
using NormSharp.Serialization;

namespace NormSharp.Onnx;

/// <summary>
/// Writes an eval-mode model as an ONNX file (IR 8, opset <see cref="OnnxExportOptions.Opset"/>) that ONNX
/// Runtime, PyTorch's <c>onnx2torch</c> or any other ONNX consumer runs: Dense → Gemm, Conv2d → Conv,
/// MaxPool2d/AvgPool2d → MaxPool/AveragePool, Flatten → Flatten, BatchNorm → BatchNormalization (or folded
/// into the layer before, <see cref="OnnxExportOptions.FoldBatchNorm"/>), PReLU → PRelu, RReLU → LeakyRelu with
/// the eval slope, Dropout → nothing, Residual → body and shortcut + Add, Sequential → its layers in order.
/// </summary>
/// <remarks>
/// <para>The graph computes what <see cref="Module.Forward"/> computes in eval mode: running BN statistics,
/// no dropout. Weights are initializers named by their state-dict keys (<c>0.weight</c>, <c>1.running_mean</c>),
/// as <c>torch.onnx.export</c> names them; the batch dimension of input and output is the symbolic "N".</para>
/// <para>A layer without an ONNX counterpart is an error naming the layer (never a silently wrong graph).</para>
/// </remarks>
public static class OnnxExporter
{
    /// <summary>ONNX IR version written (8: ONNX 1.10, read by every ONNX Runtime since 1.10).</summary>
    public const long IrVersion = (long)Proto.Version.IrVersion2021730;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="NotSupportedException">A layer cannot be expressed in ONNX (or not in eval mode).</exception>
    public static void Export(Module model, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var bytes = ToModelProto(model, options).ToByteArray();
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The ONNX model as bytes (e.g. for <c>new InferenceSession(bytes)</c>).</summary>
    public static byte[] ToBytes(Module model, OnnxExportOptions? options = null) => ToModelProto(model, options).ToByteArray();

    /// <summary>The ONNX model as a protobuf message.</summary>
    public static ModelProto ToModelProto(Module model, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxExportOptions();
        if (options.FoldBatchNorm) model = BatchNormFolding.Fold(model);

        var builder = new OnnxGraphBuilder();
        builder.Graph.Name = options.GraphName;
        var (dims, symbols) = InputDims(model, options.ExampleShape);
        builder.Unique(options.InputName);
        builder.Graph.Input.Add(OnnxGraphBuilder.FloatValue(options.InputName, dims, symbols));

        string last = new OnnxLayerWriter(builder).Write(model, "", options.InputName, dims.Length).Output;
        // The graph output must be produced by a node; an empty model (or identities only) gets one Identity.
        if (last == options.InputName || builder.Graph.Node.Count == 0)
            last = builder.Node("Identity", "Identity", [last], options.OutputName);
        else
            RenameOutput(builder.Graph, last, options.OutputName);
        builder.Graph.Output.Add(OnnxGraphBuilder.FloatValue(options.OutputName, OutputDims(model, dims), ["N"]));

        var result = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "NormSharp",
            ProducerVersion = typeof(Module).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = builder.Graph,
        };
        result.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExportOptions.Opset });
        return result;
    }

    private static (long?[] Dims, string[] Symbols) InputDims(Module model, int[]? exampleShape)
    {
        if (exampleShape is not null)
        {
            if (exampleShape.Length == 0 || exampleShape.Any(d => d < 1))
                throw new ArgumentException($"example shape [{string.Join(", ", exampleShape)}] must list positive dimensions (without the batch)", nameof(exampleShape));
            var dims = new long?[exampleShape.Length + 1];
            for (int i = 0; i < exampleShape.Length; i++) dims[i + 1] = exampleShape[i];
            return (dims, ["N", .. exampleShape.Select((_, i) => $"d{i + 1}")]);
        }
        var first = model.NamedModules().Select(m => m.Module).FirstOrDefault(m => m is not (Sequential or Residual));
        return first switch
        {
            Dense d => ([null, d.InFeatures], ["N", "features"]),
            Conv2d c => ([null, c.InChannels, null, null], ["N", "C", "H", "W"]),
            _ => throw new ArgumentException(
                $"cannot infer the input shape from the first layer ({first?.Describe() ?? "none"}): give OnnxExportOptions.ExampleShape"),
        };
    }

    /// <summary>The output's dimensions when the input's are all known (batch aside); else only its batch dimension's symbol.</summary>
    private static long?[]? OutputDims(Module model, long?[] inputDims)
    {
        if (inputDims.Skip(1).Any(d => d is null)) return null;
        int[] probe = [1, .. inputDims.Skip(1).Select(d => (int)d!.Value)];
        var shape = model.OutputShape(probe);
        return [null, .. shape.Skip(1).Select(d => (long?)d)];
    }

    private static void RenameOutput(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
        }
    }
}

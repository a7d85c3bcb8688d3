using NormSharp.Layers;
using static NormSharp.Onnx.OnnxGraphBuilder;

namespace NormSharp.Onnx;

/// <summary>
/// One ONNX node (or none) per NormSharp layer, each with the attributes that make ONNX's operator compute
/// exactly the layer's eval-mode forward (operator definitions: ONNX docs/Operators.md, opset 13).
/// </summary>
/// <remarks>The rank of each value is tracked (not its dimensions, which may be symbolic) because PRelu's
/// per-channel slope must be shaped [C, 1, …] to broadcast over dimension 1 of the input.</remarks>
internal sealed class OnnxLayerWriter(OnnxGraphBuilder builder)
{
    /// <summary>Appends the nodes of <paramref name="module"/> (state-dict prefix <paramref name="path"/>) reading
    /// <paramref name="input"/> of rank <paramref name="rank"/>; returns the name and rank of its output value.</summary>
    public (string Output, int Rank) Write(Module module, string path, string input, int rank)
    {
        switch (module)
        {
            case Sequential sequential:
                foreach (var (name, child) in sequential.Children()) (input, rank) = Write(child, At(path, name), input, rank);
                return (input, rank);
            case Residual residual:
                return WriteResidual(residual, path, input, rank);
            case Flatten:
                return (WriteLayer(module, path, input, rank), 2);
            default:
                return (WriteLayer(module, path, input, rank), rank);
        }
    }

    private static string At(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>y = body(x) + shortcut(x): both branches read the same value, an Add joins them (He et al. 2016, eq. 1).</summary>
    private (string Output, int Rank) WriteResidual(Residual residual, string path, string input, int rank)
    {
        var (body, bodyRank) = Write(residual.Body, At(path, "body"), input, rank);
        string shortcut = residual.Shortcut is null ? input : Write(residual.Shortcut, At(path, "shortcut"), input, rank).Output;
        return (builder.Node("Add", At(path, "Add"), [body, shortcut], path.Length == 0 ? "Add.out" : $"{path}.out"), bodyRank);
    }

    /// <summary>The node (or none) of a layer that is not a container; its output has its input's rank, Flatten's aside.</summary>
    private string WriteLayer(Module module, string path, string input, int rank)
    {
        string At(string name) => OnnxLayerWriter.At(path, name);
        string Node(string op, IEnumerable<string> inputs, params Proto.AttributeProto[] attributes) =>
            builder.Node(op, path.Length == 0 ? op : $"{path}.{op}", inputs, $"{(path.Length == 0 ? op : path)}.out", attributes);

        switch (module)
        {
            case Identity:
            case Dropout: // eval mode: the identity (inverted dropout scales in training only)
                return input;
            case Dense dense:
            {
                // Gemm: Y = A·Bᵀ + C with transB = 1 is y = x·Wᵀ + b for A = x [N, in], B = W [out, in].
                var inputs = new List<string> { input, builder.Initializer(At("weight"), dense.WeightParameter.Value.Span, dense.OutFeatures, dense.InFeatures) };
                if (dense.BiasParameter is { } bias) inputs.Add(builder.Initializer(At("bias"), bias.Value.Span, dense.OutFeatures));
                return Node("Gemm", inputs, Int("transB", 1));
            }
            case Conv2d conv:
            {
                var inputs = new List<string>
                {
                    input,
                    builder.Initializer(At("weight"), conv.WeightParameter.Value.Span, conv.OutChannels, conv.InChannels, conv.KernelSize, conv.KernelSize),
                };
                if (conv.BiasParameter is { } bias) inputs.Add(builder.Initializer(At("bias"), bias.Value.Span, conv.OutChannels));
                return Node("Conv", inputs, Ints("kernel_shape", conv.KernelSize, conv.KernelSize),
                    Ints("strides", conv.Stride, conv.Stride), Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding));
            }
            case MaxPool2d pool:
                // ONNX pads MaxPool with −∞ too, and floors the output size (ceil_mode = 0) as the layer does.
                return Node("MaxPool", [input], Ints("kernel_shape", pool.KernelSize, pool.KernelSize),
                    Ints("strides", pool.Stride, pool.Stride), Ints("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding));
            case AvgPool2d pool:
                // The layer counts the zero padding in the average (PyTorch's count_include_pad=True).
                return Node("AveragePool", [input], Ints("kernel_shape", pool.KernelSize, pool.KernelSize),
                    Ints("strides", pool.Stride, pool.Stride), Ints("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding),
                    Int("count_include_pad", 1));
            case Flatten:
                return Node("Flatten", [input], Int("axis", 1));
            case BatchNormBase bn:
                return BatchNormalization(bn, path, At, Node, input);
            case ReLU:
                return Node("Relu", [input]);
            case LeakyReLU leaky:
                return Node("LeakyRelu", [input], Float("alpha", leaky.NegativeSlope));
            case RReLU rrelu:
                // Eval mode uses the fixed mean slope (lower + upper)/2, which is LeakyRelu's α.
                return Node("LeakyRelu", [input], Float("alpha", rrelu.EvalSlope));
            case PReLU prelu:
                return Node("PRelu", [input, PReluSlope(prelu, At("weight"), rank, path)]);
            case ELU elu:
                return Node("Elu", [input], Float("alpha", elu.Alpha));
            case SELU:
                // ONNX's defaults are the float32 constants PyTorch and NormSharp use; written out to be explicit.
                return Node("Selu", [input], Float("alpha", Kernels.ActivationReference.SeluAlpha), Float("gamma", Kernels.ActivationReference.SeluScale));
            case Sigmoid:
                return Node("Sigmoid", [input]);
            case Tanh:
                return Node("Tanh", [input]);
            default:
                throw new NotSupportedException(
                    $"layer '{(path.Length == 0 ? "(root)" : path)}' ({module.Describe()}) has no ONNX export (supported: Sequential, Residual, Identity, Dropout, Dense, Conv2d, MaxPool2d, AvgPool2d, Flatten, BatchNorm, ReLU, LeakyReLU, PReLU, RReLU, ELU, SELU, Sigmoid, Tanh)");
        }
    }

    /// <summary>
    /// The slope initializer: ONNX's PRelu broadcasts the slope unidirectionally from the right (numpy rules), so a
    /// per-channel slope over dimension 1 of a rank-r input is shaped [C, 1, …, 1] with r − 2 ones ([C] for
    /// [N, C], [C, 1, 1] for NCHW); a shared slope is [1].
    /// </summary>
    private string PReluSlope(PReLU prelu, string name, int rank, string path)
    {
        var slope = prelu.WeightParameter.Value.Span;
        if (prelu.NumParameters == 1) return builder.Initializer(name, slope, 1);
        if (rank < 2)
            throw new NotSupportedException(
                $"layer '{path}' ({prelu.Describe()}) has one slope per channel but its input has rank {rank} (needs [N, C, …])");
        var shape = new int[rank - 1];
        Array.Fill(shape, 1);
        shape[0] = prelu.NumParameters;
        return builder.Initializer(name, slope, shape);
    }

    private string BatchNormalization(BatchNormBase bn, string path, Func<string, string> at,
        Func<string, IEnumerable<string>, Proto.AttributeProto[], string> node, string input)
    {
        if (!bn.TrackRunningStats)
            throw new NotSupportedException(
                $"layer '{path}' ({bn.Describe()}) normalises with batch statistics even in eval mode (track_running_stats=False): ONNX's BatchNormalization needs running statistics");
        int c = bn.NumFeatures;
        // Without affine parameters γ = 1 and β = 0 (what PyTorch's exporter writes too).
        string scale = builder.Initializer(at("weight"), bn.WeightParameter is { } w ? w.Value.Span : Ones(c), c);
        string shift = builder.Initializer(at("bias"), bn.BiasParameter is { } b ? b.Value.Span : new float[c], c);
        string mean = builder.Initializer(at("running_mean"), bn.RunningMean!.Span, c);
        string variance = builder.Initializer(at("running_var"), bn.RunningVar!.Span, c);
        // ONNX's momentum weighs the old running value (running·momentum + batch·(1 − momentum)): 1 − PyTorch's.
        // Inference ignores it; it is written so a consumer that trains keeps the layer's schedule.
        var attributes = new List<Proto.AttributeProto> { Float("epsilon", bn.Eps) };
        if (bn.Momentum is { } m) attributes.Add(Float("momentum", 1f - m));
        return node("BatchNormalization", [input, scale, shift, mean, variance], [.. attributes]);
    }

    private static float[] Ones(int n)
    {
        var ones = new float[n];
        Array.Fill(ones, 1f);
        return ones;
    }
}

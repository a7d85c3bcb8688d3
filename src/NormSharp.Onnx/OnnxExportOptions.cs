namespace NormSharp.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a model.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The operator set written (ai.onnx). Every operator used is unchanged from 13 to at least 21.</summary>
    public const int Opset = 13;

    /// <summary>Fold every BatchNorm into the Dense/Conv2d before it (<see cref="Inference.BatchNormFolding"/>)
    /// instead of writing BatchNormalization nodes.</summary>
    public bool FoldBatchNorm { get; init; }

    /// <summary>
    /// Shape of one example (without the batch dimension, e.g. [1, 28, 28]); the batch dimension is always the
    /// symbolic "N". Null: taken from the first layer — [in] for a Dense, [C, H, W] with symbolic H and W for a Conv2d.
    /// </summary>
    public int[]? ExampleShape { get; init; }

    /// <summary>Graph name stored in the file.</summary>
    public string GraphName { get; init; } = "normsharp";

    /// <summary>Name of the graph input.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>Name of the graph output.</summary>
    public string OutputName { get; init; } = "output";
}

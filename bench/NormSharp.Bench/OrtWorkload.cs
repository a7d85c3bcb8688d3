using NormSharp.Inference;
using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Onnx;

namespace NormSharp.Bench;

/// <summary>
/// One inference workload of the ONNX Runtime comparison (<see cref="OrtComparison"/>): a model with BN in eval
/// mode, its BN-folded copy, the two ONNX exports and one fixed input batch.
/// </summary>
/// <remarks>
/// The BN layers get random running statistics and affine parameters before folding (a freshly built BN has
/// mean 0, variance 1, γ = 1, β = 0, which folds into a near no-op scale and would hide a folding mistake
/// from the agreement check). The folded ONNX file is the export of NormSharp's own folded model, so both
/// engines run exactly the same weights.
/// </remarks>
internal sealed class OrtWorkload
{
    private OrtWorkload(string name, Sequential withBatchNorm, int[] inputShape)
    {
        Name = name;
        WithBatchNorm = RandomizeBatchNorm(withBatchNorm);
        WithBatchNorm.Eval();
        Folded = BatchNormFolding.Fold(WithBatchNorm, out var folded);
        FoldedCount = folded.Count;
        var exampleShape = inputShape[1..];
        FoldedOnnx = OnnxExporter.ToBytes(Folded, new OnnxExportOptions { ExampleShape = exampleShape });
        UnfoldedOnnx = OnnxExporter.ToBytes(WithBatchNorm, new OnnxExportOptions { ExampleShape = exampleShape });
        Input = new Tensor(inputShape);
        var rng = new Rng(2);
        var xs = Input.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = rng.NextUniform(0f, 1f);
        OutputShape = Folded.OutputShape(inputShape);
    }

    /// <summary>Name printed in the tables, with the input shape.</summary>
    public string Name { get; }

    /// <summary>The model with its BN layers, in eval mode.</summary>
    public Sequential WithBatchNorm { get; }

    /// <summary><see cref="BatchNormFolding.Fold(Module)"/> of <see cref="WithBatchNorm"/>.</summary>
    public Module Folded { get; }

    /// <summary>How many BN layers were folded away.</summary>
    public int FoldedCount { get; }

    /// <summary>ONNX export of <see cref="Folded"/> (no BatchNormalization nodes).</summary>
    public byte[] FoldedOnnx { get; }

    /// <summary>ONNX export of <see cref="WithBatchNorm"/> (BatchNormalization nodes; ORT may fuse them itself).</summary>
    public byte[] UnfoldedOnnx { get; }

    /// <summary>The input batch, uniform in [0, 1).</summary>
    public Tensor Input { get; }

    /// <summary>Shape of the logits.</summary>
    public int[] OutputShape { get; }

    /// <summary>Examples per forward pass.</summary>
    public int Batch => Input.Dim(0);

    /// <summary>The workloads: seed MLP with BN at batch 500 and 1, d2l LeNet-5 with BN (sigmoid) at 256 and 1.</summary>
    public static IReadOnlyList<OrtWorkload> Standard()
    {
        var list = new List<OrtWorkload>();
        foreach (int batch in new[] { 500, 1 })
            list.Add(new OrtWorkload($"MLP+BN [{batch},784]", ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, Options()), [batch, 784]));
        foreach (int batch in new[] { 256, 1 })
            list.Add(new OrtWorkload($"LeNet+BN [{batch},1,28,28]",
                ModelZoo.LeNet(options: Options() with { Activation = "sigmoid" }), [batch, 1, 28, 28]));
        return list;
    }

    private static ModelOptions Options() => new() { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) };

    private static Sequential RandomizeBatchNorm(Sequential model)
    {
        var rng = new Rng(7);
        foreach (var (_, module) in model.NamedModules())
        {
            if (module is not BatchNormBase bn) continue;
            for (int c = 0; c < bn.NumFeatures; c++)
            {
                if (bn.Affine)
                {
                    bn.WeightParameter!.Value[c] = rng.NextUniform(0.5f, 1.5f);
                    bn.BiasParameter!.Value[c] = rng.NextUniform(-0.5f, 0.5f);
                }
                bn.RunningMean![c] = rng.NextUniform(-0.3f, 0.3f);
                bn.RunningVar![c] = rng.NextUniform(0.5f, 2f);
            }
        }
        return model;
    }
}

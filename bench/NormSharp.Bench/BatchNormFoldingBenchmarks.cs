using BenchmarkDotNet.Attributes;
using NormSharp;
using NormSharp.Inference;
using NormSharp.Layers;
using NormSharp.Models;

namespace NormSharp.Bench;

/// <summary>
/// Eval-mode inference before and after folding BN into the layer before it (<see cref="BatchNormFolding"/>), on
/// the reference workloads: the seed MLP 784-500-400-300-200-100-50-25-10 with BN at batch 500, and d2l's LeNet-5
/// with BN at batch 256. Run with
/// <c>dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*BatchNormFolding*' --inProcess --iterationCount 25</c>;
/// figures in bench/RESULTS.md.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn] // the minimum is the figure least disturbed by other processes on a shared machine
public class BatchNormFoldingBenchmarks
{
    private Module _model = null!, _folded = null!;
    private Tensor _x = null!;

    [Params("MLP+BN [500,784]", "LeNet+BN [256,1,28,28]")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var options = new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) };
        bool mlp = Model.StartsWith("MLP", StringComparison.Ordinal);
        _model = mlp ? ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, options) : ModelZoo.LeNet(options: options with { Activation = "sigmoid" });
        _model.Eval();
        _folded = BatchNormFolding.Fold(_model);
        int[] shape = mlp ? [500, 784] : [256, 1, 28, 28];
        _x = new Tensor(shape);
        var rng = new Rng(2);
        var xs = _x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = rng.NextUniform(0f, 1f);
    }

    [Benchmark(Baseline = true)]
    public Tensor WithBatchNorm() => _model.Forward(_x);

    [Benchmark]
    public Tensor Folded() => _folded.Forward(_x);
}

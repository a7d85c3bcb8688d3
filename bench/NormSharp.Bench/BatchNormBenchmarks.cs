using BenchmarkDotNet.Attributes;
using NormSharp;
using NormSharp.Layers;

namespace NormSharp.Bench;

/// <summary>
/// BatchNorm forward + backward in training mode on the shapes of the reference workloads: the MLP's
/// widest hidden layer ([500, 500], BatchNorm1d) and LeNet's first convolution output
/// ([256, 6, 24, 24] without padding, as the issue names it; [256, 6, 28, 28] in d2l's padded LeNet). Run with
/// <c>dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*BatchNorm*'</c>.
/// </summary>
[MemoryDiagnoser]
public class BatchNormBenchmarks
{
    private BatchNormBase _bn = null!;
    private Tensor _x = null!, _dy = null!;

    [Params("1d [500,500]", "2d [256,6,24,24]", "2d [256,6,28,28]")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        int[] shape = Shape.StartsWith("1d", StringComparison.Ordinal) ? [500, 500]
            : Shape.Contains("28", StringComparison.Ordinal) ? [256, 6, 28, 28] : [256, 6, 24, 24];
        _bn = shape.Length == 2 ? new BatchNorm1d(shape[1]) : new BatchNorm2d(shape[1]);
        var rng = new Rng(1);
        _x = new Tensor(shape);
        _dy = new Tensor(shape);
        var xs = _x.Span;
        var ds = _dy.Span;
        for (int i = 0; i < xs.Length; i++) { xs[i] = rng.NextGaussian(); ds[i] = rng.NextGaussian(); }
    }

    [Benchmark]
    public Tensor Forward() => _bn.Forward(_x);

    [Benchmark]
    public Tensor ForwardBackward()
    {
        _bn.Forward(_x);
        return _bn.Backward(_dy);
    }
}

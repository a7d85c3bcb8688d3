using BenchmarkDotNet.Attributes;
using NormSharp;
using NormSharp.Layers;

namespace NormSharp.Bench;

/// <summary>
/// LeNet-5's convolutions at batch 256 (d2l's LeNet+BN, as <c>ModelZoo.LeNet</c> builds it): conv1 1→6, k5,
/// padding 2 on 28×28 and conv2 6→16, k5 on 14×14 (100 output positions), forward and backward. conv1 is the
/// first layer, so its backward computes dW and db only.
/// Run: <c>dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*ConvBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private const int Batch = 256;
    private Conv2d _conv1 = null!, _conv2 = null!;
    private Tensor _x1 = null!, _dy1 = null!, _x2 = null!, _dy2 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(42);
        _conv1 = new Conv2d(1, 6, 5, padding: 2, rng: rng) { NeedsInputGradient = false };
        _conv2 = new Conv2d(6, 16, 5, rng: rng);
        _x1 = Random(rng, Batch, 1, 28, 28);
        _dy1 = Random(rng, Batch, 6, 28, 28);
        _x2 = Random(rng, Batch, 6, 14, 14);
        _dy2 = Random(rng, Batch, 16, 10, 10);
        _conv1.Forward(_x1);
        _conv2.Forward(_x2);
    }

    [Benchmark]
    public Tensor Conv1Forward() => _conv1.Forward(_x1);

    [Benchmark]
    public Tensor Conv1Backward() => _conv1.Backward(_dy1);

    [Benchmark]
    public Tensor Conv2Forward() => _conv2.Forward(_x2);

    [Benchmark]
    public Tensor Conv2Backward() => _conv2.Backward(_dy2);

    private static Tensor Random(Rng rng, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextUniform(-1f, 1f);
        return t;
    }
}

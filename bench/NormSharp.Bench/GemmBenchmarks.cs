using BenchmarkDotNet.Attributes;
using NormSharp.Kernels;

namespace NormSharp.Bench;

/// <summary>
/// <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
/// on one case per <see cref="ShapeText"/> ("TRANS m×n×k", see <see cref="GemmShape"/>) with 1 and 2 threads,
/// C = A·B (β = 0). The GFLOP/s column gives 2·m·n·k / mean time. The cases live in
/// <see cref="GemmSquareBenchmarks"/> and <see cref="GemmMlpBenchmarks"/>.
/// </summary>
[Config(typeof(GflopsConfig))]
public abstract class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private GemmShape _shape;

    /// <summary>The case, "TRANS m×n×k".</summary>
    protected abstract string ShapeText { get; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ParallelRunner.Threads = Threads;
        _shape = GemmShape.Parse(ShapeText);
        var rng = new Rng(1);
        _a = Random(rng, _shape.M * _shape.K);
        _b = Random(rng, _shape.K * _shape.N);
        _c = GC.AllocateArray<float>(_shape.M * _shape.N, pinned: true);
    }

    [Benchmark]
    public void Sgemm()
    {
        var s = _shape;
        Gemm.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, _a, s.TransA ? s.M : s.K, _b, s.TransB ? s.K : s.N, 0f, _c, s.N);
    }

    private static float[] Random(Rng rng, int count)
    {
        var values = GC.AllocateArray<float>(count, pinned: true);
        for (int i = 0; i < count; i++) values[i] = rng.NextUniform(-1f, 1f);
        return values;
    }
}

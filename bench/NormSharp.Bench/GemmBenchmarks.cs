using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NormSharp.Kernels;

namespace NormSharp.Bench;

/// <summary>
/// <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
/// on square sizes and on the products of the 7-layer MLP (784-500-400-300-200-100-50-25-10, batch 500):
/// forward y = x·Wᵀ (NT, m = 500, n = out, k = in), weight gradient dW = dyᵀ·x (TN, m = out, n = in, k = 500)
/// and input gradient dx = dy·W (NN, m = 500, n = in, k = out). Shapes read "TRANS m×n×k". A GFLOP/s column
/// gives 2·m·n·k / mean time. Run:
/// <c>dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*GemmBenchmarks*'</c>.
/// </summary>
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private GemmShape _shape;

    [Params(
        "NN 256x256x256", "NN 512x512x512", "NN 1024x1024x1024", "NN 2048x2048x2048",
        "NT 500x500x784", "NT 500x400x500", "NT 500x300x400", "NT 500x200x300", "NT 500x100x200", "NT 500x25x50",
        "TN 500x784x500", "TN 400x500x500", "TN 300x400x500", "TN 200x300x500", "TN 100x200x500",
        "NN 500x500x400", "NN 500x400x300", "NN 500x300x200", "NN 500x200x100")]
    public string Shape { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ParallelRunner.Threads = Threads;
        _shape = GemmShape.Parse(Shape);
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

    /// <summary>Adds the GFLOP/s column to the default configuration.</summary>
    private sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>2·m·n·k floating-point operations divided by the mean time of a case.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Billions of floating-point operations per second (2·m·n·k / mean)";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(Shape))?.Value as string;
            if (stats is null || shape is null) return "-";
            var s = GemmShape.Parse(shape);
            return (2.0 * s.M * s.N * s.K / stats.Mean).ToString("F1"); // FLOP per ns = GFLOP/s
        }
    }
}

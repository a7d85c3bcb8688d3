using BenchmarkDotNet.Attributes;

namespace NormSharp.Bench;

/// <summary>
/// The products of the 7-layer MLP (784-500-400-300-200-100-50-25-10, batch 500): forward y = x·Wᵀ
/// (NT, m = 500, n = out, k = in), weight gradient dW = dyᵀ·x (TN, m = out, n = in, k = 500) and input
/// gradient dx = dy·W (NN, m = 500, n = in, k = out; the first layer needs none). Run:
/// <c>dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*GemmMlp*'</c>.
/// </summary>
public class GemmMlpBenchmarks : GemmBenchmarks
{
    [Params(
        "NT 500x500x784", "NT 500x400x500", "NT 500x300x400", "NT 500x200x300", "NT 500x100x200", "NT 500x25x50",
        "TN 500x784x500", "TN 400x500x500", "TN 300x400x500", "TN 200x300x500", "TN 100x200x500",
        "NN 500x500x400", "NN 500x400x300", "NN 500x300x200", "NN 500x200x100")]
    public string Shape { get; set; } = "";

    protected override string ShapeText => Shape;
}

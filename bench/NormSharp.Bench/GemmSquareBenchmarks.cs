using BenchmarkDotNet.Attributes;

namespace NormSharp.Bench;

/// <summary>Square SGEMM, 256–2048. Run:
/// <c>dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*GemmSquare*'</c>.</summary>
public class GemmSquareBenchmarks : GemmBenchmarks
{
    [Params("NN 256x256x256", "NN 512x512x512", "NN 1024x1024x1024", "NN 2048x2048x2048")]
    public string Shape { get; set; } = "";

    protected override string ShapeText => Shape;
}

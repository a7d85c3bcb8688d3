using System.Diagnostics;
using System.Globalization;

namespace NormSharp.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/NormSharp.Bench -- folding [rounds]</c>: the BN-folding inference
/// speed-up measured by alternating the two models round after round and keeping each one's minimum and median.
/// On a shared machine (other processes on the same cores) BenchmarkDotNet's sequential runs see different loads
/// for the two methods; alternating gives both the same conditions, and the minimum is the least disturbed figure.
/// </summary>
internal static class FoldingSpeedup
{
    public static void Run(int rounds)
    {
        Console.WriteLine($"BN folding, eval-mode forward, {rounds} alternating rounds, {Environment.ProcessorCount} cores");
        Console.WriteLine("| Model | with BN min | folded min | speed-up (min) | with BN median | folded median | speed-up (median) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (string model in new[] { "MLP+BN [500,784]", "LeNet+BN [256,1,28,28]" })
        {
            var bench = new BatchNormFoldingBenchmarks { Model = model };
            bench.Setup();
            for (int i = 0; i < 5; i++) { bench.WithBatchNorm(); bench.Folded(); } // JIT tiers and workspaces settle
            var withBn = new double[rounds];
            var folded = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                withBn[r] = Time(() => bench.WithBatchNorm());
                folded[r] = Time(() => bench.Folded());
            }
            Array.Sort(withBn);
            Array.Sort(folded);
            double minA = withBn[0], minB = folded[0], medA = withBn[rounds / 2], medB = folded[rounds / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {model} | {minA:F2} ms | {minB:F2} ms | {minA / minB:F2}× | {medA:F2} ms | {medB:F2} ms | {medA / medB:F2}× |"));
        }
    }

    private static double Time(Func<Tensor> run)
    {
        long start = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace NormSharp.Cli.Commands;

/// <summary>
/// Wall-clock timing of a warmed-up action for the <c>bench</c> commands: the median of several
/// windows, with the spread, so a neighbour's burst on a shared machine shows up as spread instead of
/// silently moving the figure.
/// </summary>
/// <remarks>
/// Warm-up runs the action until tiered compilation has settled (shared/PERF.md: tier-0/OSR code made
/// GEMM read 6–48 instead of ~110 GFLOP/s): at least <see cref="WarmUpCalls"/> calls and
/// <see cref="WarmUpSeconds"/> of wall time. Each window then repeats the action until it lasts
/// <c>windowSeconds</c>, and reports seconds per call.
/// </remarks>
internal readonly record struct BenchTiming(double Median, double Min, double Max, int CallsPerWindow)
{
    private const int WarmUpCalls = 30;
    private const double WarmUpSeconds = 0.3;

    /// <summary>Relative spread (max − min) / median of the windows.</summary>
    public double Spread => Median > 0 ? (Max - Min) / Median : 0;

    public static BenchTiming Measure(Action action, int windows, double windowSeconds)
    {
        var clock = Stopwatch.StartNew();
        int warm = 0;
        while (warm < WarmUpCalls || clock.Elapsed.TotalSeconds < WarmUpSeconds)
        {
            action();
            warm++;
        }
        // Calls per window from the warm-up rate, at least one.
        double perCall = clock.Elapsed.TotalSeconds / warm;
        int calls = (int)Math.Clamp(windowSeconds / Math.Max(perCall, 1e-9), 1, 1_000_000);
        var samples = new double[windows];
        for (int w = 0; w < windows; w++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) action();
            samples[w] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
        }
        Array.Sort(samples);
        return new BenchTiming(samples[windows / 2], samples[0], samples[^1], calls);
    }

    /// <summary>Formats a number with the invariant culture (the output is parsed by bench/compare.sh).</summary>
    public static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}

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

    /// <param name="action">The work of one call.</param>
    /// <param name="windows">Timed windows; the median, min and max over them are reported.</param>
    /// <param name="windowSeconds">Length each window aims at.</param>
    /// <param name="cpuTime">Time windows in CPU seconds of this process instead of wall seconds: on a
    /// machine shared with other jobs a one-thread figure then counts the work, not the waiting.</param>
    public static BenchTiming Measure(Action action, int windows, double windowSeconds, bool cpuTime = false)
    {
        var process = cpuTime ? Process.GetCurrentProcess() : null;
        double Now()
        {
            if (process is null) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        }

        var clock = Stopwatch.StartNew();
        int warm = 0;
        while (warm < WarmUpCalls || clock.Elapsed.TotalSeconds < WarmUpSeconds)
        {
            action();
            warm++;
        }
        // Calls per window from the warm-up rate, at least one.
        double perCall = clock.Elapsed.TotalSeconds / warm;
        if (cpuTime)
        {
            double t0 = Now();
            action();
            perCall = Math.Max(Now() - t0, 1e-6); // the CPU clock ticks coarsely: one call is a floor, not a figure
        }
        int calls = (int)Math.Clamp(windowSeconds / Math.Max(perCall, 1e-9), 1, 1_000_000);
        var samples = new double[windows];
        for (int w = 0; w < windows; w++)
        {
            double start = Now();
            for (int i = 0; i < calls; i++) action();
            samples[w] = (Now() - start) / calls;
        }
        Array.Sort(samples);
        return new BenchTiming(samples[windows / 2], samples[0], samples[^1], calls);
    }

    /// <summary>Formats a number with the invariant culture (the output is parsed by bench/compare.sh).</summary>
    public static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}

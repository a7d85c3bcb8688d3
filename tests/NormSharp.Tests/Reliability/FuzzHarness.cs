using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace NormSharp.Tests.Reliability;

/// <summary>
/// Runs a reader on mutated copies of a valid file and classifies every case: a valid object, or one of
/// the typed errors the reader documents. Anything else (another exception type, an allocation beyond the
/// bound) fails the test with the case's seed, so it can be replayed. The case count is 300 per format
/// (CI), or <c>NORMSHARP_FUZZ_CASES</c> for the long run; figures go to the test output and, when
/// <c>NORMSHARP_FUZZ_REPORT</c> names a file, are appended there.
/// </summary>
internal static class FuzzHarness
{
    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("NORMSHARP_FUZZ_CASES"), out int n) && n > 0 ? n : 300;

    /// <param name="read">Reads one input; returns normally for a valid object, throws otherwise.</param>
    /// <param name="expected">The typed errors that count as a clear rejection.</param>
    /// <param name="maxAllocatedBytes">Bound on the bytes one case may allocate, from the input's length.</param>
    public static void Run(string format, ITestOutputHelper output, IReadOnlyList<byte[]> seeds, bool text, Action<byte[]> read,
        Type[] expected, Func<int, long> maxAllocatedBytes, ulong baseSeed)
    {
        foreach (var seed in seeds) read(seed); // the unmutated files are valid
        int cases = Cases, valid = 0;
        var errors = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        long maxAllocated = 0;
        double maxMilliseconds = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            ulong caseSeed = baseSeed + (ulong)i;
            var input = Mutator.Mutate(seeds[i % seeds.Count], caseSeed, text);
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            try
            {
                read(input);
                valid++;
            }
            catch (Exception e) when (expected.Any(t => t.IsInstanceOfType(e)))
            {
                string name = e.GetType().Name;
                errors[name] = errors.GetValueOrDefault(name) + 1;
                if (string.IsNullOrWhiteSpace(e.Message)) failures.Add($"case seed {caseSeed}: {name} without a message");
            }
            catch (Exception e)
            {
                failures.Add($"case seed {caseSeed}: {e.GetType().Name}: {e.Message}");
            }
            maxMilliseconds = Math.Max(maxMilliseconds, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            maxAllocated = Math.Max(maxAllocated, allocated);
            if (allocated > maxAllocatedBytes(input.Length))
                failures.Add($"case seed {caseSeed}: allocated {allocated} bytes for a {input.Length}-byte input (bound {maxAllocatedBytes(input.Length)})");
        }
        string report = string.Create(CultureInfo.InvariantCulture,
            $"{format}: {cases} cases in {clock.Elapsed.TotalSeconds:F1} s — {valid} valid, " +
            $"{string.Join(", ", errors.OrderByDescending(e => e.Value).Select(e => $"{e.Value} {e.Key}"))}; " +
            $"unexpected {failures.Count}; slowest case {maxMilliseconds:F1} ms; largest allocation {maxAllocated / 1024.0:F0} KiB");
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable("NORMSHARP_FUZZ_REPORT") is { Length: > 0 } file) File.AppendAllText(file, report + Environment.NewLine);
        Assert.True(failures.Count == 0, report + "\n" + string.Join("\n", failures.Take(20)));
    }
}

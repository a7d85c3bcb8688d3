using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NormSharp.Layers;

namespace NormSharp.Bench;

/// <summary>
/// Where eval-mode inference spends its time (<c>ort --profile</c>): NormSharp's folded model timed layer by
/// layer, and ONNX Runtime's per-node kernel times from its own profiler (<c>SessionOptions.EnableProfiling</c>),
/// on the same workload and thread count. Medians over <c>calls</c> forward passes after a warm-up.
/// </summary>
/// <remarks>
/// Timing each layer separately adds a clock read per layer (~20 ns) and keeps NormSharp's layers in order, so
/// the NormSharp sum is close to a whole forward pass; ORT's node times exclude its per-call overhead (input
/// checks, the executor's loop), which is printed as the difference to its whole-call median.
/// </remarks>
internal static class InferenceProfile
{
    public static void Print(OrtWorkload w, int threads, int calls)
    {
        Console.WriteLine();
        Console.WriteLine($"## {w.Name}, {threads} thread(s): median µs per call over {calls} calls");
        PrintNormSharp(w, calls);
        PrintOrt(w, threads, calls);
    }

    private static void PrintNormSharp(OrtWorkload w, int calls)
    {
        if (w.Folded is not Sequential model) throw new InvalidOperationException($"{w.Name}: the folded model is not a Sequential");
        for (int i = 0; i < 50; i++) model.Forward(w.Input);
        var times = new double[model.Count][];
        for (int l = 0; l < model.Count; l++) times[l] = new double[calls];
        var whole = new double[calls];
        for (int c = 0; c < calls; c++)
        {
            var x = w.Input;
            long callStart = Stopwatch.GetTimestamp();
            for (int l = 0; l < model.Count; l++)
            {
                long start = Stopwatch.GetTimestamp();
                x = model[l].Forward(x);
                times[l][c] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            whole[c] = Stopwatch.GetElapsedTime(callStart).TotalMicroseconds;
        }
        double total = times.Sum(Median);
        Console.WriteLine($"NormSharp (folded), whole forward {Median(whole):F1} µs");
        Console.WriteLine("| layer | µs | share |");
        Console.WriteLine("| --- | ---: | ---: |");
        for (int l = 0; l < model.Count; l++)
        {
            if (model[l] is Identity) continue; // a folded BN's place holder: returns its input
            double us = Median(times[l]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {l} {model[l].Describe()} | {us:F1} | {100 * us / total:F1}% |"));
        }
    }

    private static void PrintOrt(OrtWorkload w, int threads, int calls)
    {
        string dir = Directory.CreateTempSubdirectory("normsharp-ort-profile").FullName;
        string? file = null;
        try
        {
            var whole = new double[calls];
            using (var runner = new OrtRunner(w.FoldedOnnx, w.Input, w.OutputShape, threads, Path.Combine(dir, "ort")))
            {
                for (int i = 0; i < 50; i++) runner.Run();
                for (int c = 0; c < calls; c++)
                {
                    long start = Stopwatch.GetTimestamp();
                    runner.Run();
                    whole[c] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                }
                file = Path.GetFullPath(runner.EndProfiling());
            }
            // Chrome-trace events; a node's kernel time is "<node>_kernel_time" in category "Node", duration in µs.
            // The warm-up calls are dropped: only each node's last `calls` events count.
            var nodes = new List<(string Name, string Op, List<double> Durations)>();
            using (var json = JsonDocument.Parse(File.ReadAllText(file)))
                foreach (var e in json.RootElement.EnumerateArray())
                {
                    if (e.GetProperty("cat").GetString() != "Node") continue;
                    string name = e.GetProperty("name").GetString()!;
                    if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                    name = name[..^"_kernel_time".Length];
                    string op = e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var o) ? o.GetString()! : "?";
                    int index = nodes.FindIndex(n => n.Name == name);
                    if (index < 0) { nodes.Add((name, op, [])); index = nodes.Count - 1; }
                    nodes[index].Durations.Add(e.GetProperty("dur").GetDouble());
                }
            double total = nodes.Sum(n => Median(n.Durations.TakeLast(calls).ToArray()));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ONNX Runtime (folded export, after its graph optimizations), whole call {Median(whole):F1} µs (profiling on), nodes {total:F1} µs"));
            Console.WriteLine("| node (op) | µs | share |");
            Console.WriteLine("| --- | ---: | ---: |");
            foreach (var (name, op, durations) in nodes)
            {
                double us = Median(durations.TakeLast(calls).ToArray());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} ({op}) | {us:F1} | {100 * us / total:F1}% |"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            if (file is not null && File.Exists(file)) File.Delete(file); // should lie in dir; never leave one behind
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}

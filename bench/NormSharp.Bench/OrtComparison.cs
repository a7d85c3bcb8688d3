using NormSharp.Inference;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using NormSharp.Kernels;

namespace NormSharp.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/NormSharp.Bench -- ort [rounds] [--threads T] [--quick] [--profile] [--ort-no-spin] [--ort-persistent]</c>
/// (default 100 rounds, threads = <c>ParallelRunner.Threads</c>; <c>--quick</c>: at most 10 rounds):
/// eval-mode inference of a BN-folded model in NormSharp against ONNX Runtime (CPU) on the same exported model
/// (issue #8: "Inference of a BN-folded model: ≥ ONNX Runtime (CPU)"). Also ORT on the unfolded export, for
/// reference (ORT_ENABLE_ALL may fuse BatchNormalization into the Gemm/Conv before it itself).
/// </summary>
/// <remarks>
/// <para>Both engines get the same thread count, the same input array and pre-allocated outputs; warm-up calls
/// (≥ 50 and ≥ 0.5 s per engine: tiered JIT, workspaces, ORT's arenas) are excluded. A round times a block of
/// calls for each engine in turn (NormSharp's <see cref="InferenceModel"/> of the folded model, which packs the weights
/// once as ORT does when it creates a session, the folded model's plain <c>Module.Forward</c>, ORT folded, ORT unfolded,
/// then again), so load from other
/// processes hits all of them alike; the block is sized so it lasts ≥ ~5 ms (batch 1 calls take microseconds) and
/// follows untimed calls of the same engine (<see cref="WarmThenTime"/>).
/// Each ORT block runs in a fresh session (see <see cref="OrtEngine"/>: idle ORT workers spin and would steal a
/// core from the other engines); <c>--ort-persistent</c> keeps one session per export instead.
/// Per engine the minimum (the least disturbed figure) and the median ms per call are reported, and the
/// ratio ORT ms / NormSharp ms (above 1: NormSharp faster), with its range over rounds.</para>
/// <para>The outputs are compared (InferenceModel and Forward must agree bit for bit; max |difference| between
/// NormSharp's folded output, ORT on either export
/// and NormSharp's unfolded forward), so the timings are of the same computation; the managed bytes NormSharp
/// allocates per call are counted on the calling thread.</para>
/// </remarks>
internal static class OrtComparison
{
    private const double BlockMs = 5;

    /// <summary>How the comparison runs (command-line options).</summary>
    private sealed record Settings(int Threads, int Rounds, bool Spin, bool PersistentSessions);

    public static void Run(string[] args)
    {
        int rounds = 100, threads = ParallelRunner.Threads;
        bool quick = false, profile = false, spin = true, persistent = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--quick": quick = true; break;
                case "--profile": profile = true; break;
                case "--ort-no-spin": spin = false; break;
                case "--ort-persistent": persistent = true; break;
                default:
                    if (!int.TryParse(args[i], CultureInfo.InvariantCulture, out rounds) || rounds < 1)
                        throw new ArgumentException($"ort: unknown argument '{args[i]}' (expected {Usage})");
                    break;
            }
        }
        if (quick) rounds = Math.Min(rounds, 10);
        if (threads < 1) throw new ArgumentException($"ort: --threads must be at least 1, got {threads}");
        ParallelRunner.Threads = threads;
        var settings = new Settings(threads, rounds, spin, persistent);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# ort: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load {LoadAverage()}; " +
            $".NET {Environment.Version}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}; {threads} thread(s), {rounds} interleaved rounds; " +
            $"ORT workers {(spin ? "spin (ORT's default)" : "do not spin")}, {(persistent ? "persistent sessions" : "a fresh session per block")}"));
        Console.WriteLine("| workload | NormSharp InferenceModel min / median | ORT folded min / median | ratio ORT/NS min, median (per-round range) | NormSharp ex/s (median) | ORT ex/s (median) | NormSharp Module.Forward min / median (ratio min) | ORT unfolded min / median | max abs diff NS–ORT (NS–ORT unfolded, folded–unfolded) / max abs logit | NS bytes/call |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var workloads = OrtWorkload.Standard();
        foreach (var w in workloads) Console.WriteLine(Measure(w, settings));
        Console.WriteLine($"# load after: {LoadAverage()}");

        if (profile)
            foreach (var w in workloads) InferenceProfile.Print(w, threads, quick ? 20 : 200);
    }

    private const string Usage = "[rounds] [--threads T] [--quick] [--profile] [--ort-no-spin] [--ort-persistent]";

    /// <summary>
    /// One ORT engine of the rounds. By default every block gets a fresh session (created, warmed up with a few
    /// untimed calls, timed, disposed), because an ORT session's intra-op workers keep spinning long after its
    /// last call — a 300 ms pause did not stop them — and at 2 threads they took the second core from the next
    /// block's engine (NormSharp's folded MLP measured 8.9 ms instead of 4.7 with a live ORT session beside it;
    /// the other ORT session likewise). Disposing a session ends its threads.
    /// </summary>
    private sealed class OrtEngine(byte[] model, OrtWorkload w, Settings settings) : IDisposable
    {
        private OrtRunner? _runner;

        public float[] LastOutput { get; } = new float[w.OutputShape.Aggregate(1, (a, b) => a * b)];

        public OrtRunner Runner => _runner ??= new OrtRunner(model, w.Input, w.OutputShape, settings.Threads, spin: settings.Spin);

        public double TimeBlock(int reps)
        {
            var runner = Runner;
            double ms = WarmThenTime(runner.Run, reps); // a fresh session's untimed calls also plan and allocate its buffers
            runner.Output.CopyTo(LastOutput, 0);
            if (!settings.PersistentSessions) Dispose();
            return ms;
        }

        public void Dispose()
        {
            _runner?.Dispose();
            _runner = null;
        }
    }

    private static string Measure(OrtWorkload w, Settings settings)
    {
        using var folded = new OrtEngine(w.FoldedOnnx, w, settings);
        using var unfolded = new OrtEngine(w.UnfoldedOnnx, w, settings);
        // NormSharp's inference path: the folded model prepared once (InferenceModel: weights packed, as ORT packs
        // them when it creates a session); its plain Module.Forward is timed beside it.
        using var prepared = InferenceModel.Create(w.Folded);
        Tensor? nsOutput = null, forwardOutput = null;
        Action ns = () => nsOutput = prepared.Run(w.Input);
        Action forward = () => forwardOutput = w.Folded.Forward(w.Input);

        double callMs = Math.Min(Math.Min(WarmUp(ns), WarmUp(forward)), Math.Min(WarmUp(folded.Runner.Run), WarmUp(unfolded.Runner.Run)));
        if (!settings.PersistentSessions) { folded.Dispose(); unfolded.Dispose(); }
        int reps = (int)Math.Clamp(Math.Ceiling(BlockMs / callMs), 1, 10_000);
        int rounds = settings.Rounds;
        double[] nsTimes = new double[rounds], forwardTimes = new double[rounds], ortTimes = new double[rounds], unfoldedTimes = new double[rounds];
        long allocated = 0;
        for (int r = 0; r < rounds; r++)
        {
            long bytes = GC.GetAllocatedBytesForCurrentThread();
            nsTimes[r] = WarmThenTime(ns, reps);
            allocated += GC.GetAllocatedBytesForCurrentThread() - bytes;
            forwardTimes[r] = WarmThenTime(forward, reps);
            ortTimes[r] = folded.TimeBlock(reps);
            unfoldedTimes[r] = unfolded.TimeBlock(reps);
        }

        var nsOut = nsOutput!.Span;
        if (!nsOut.SequenceEqual(forwardOutput!.Span))
            throw new InvalidOperationException($"{w.Name}: InferenceModel.Run and Module.Forward differ");
        var withBn = w.WithBatchNorm.Forward(w.Input).Span;
        double diffFolded = MaxAbsDiff(nsOut, folded.LastOutput), diffUnfolded = MaxAbsDiff(nsOut, unfolded.LastOutput);
        double diffNs = MaxAbsDiff(nsOut, withBn);
        var ratios = ortTimes.Zip(nsTimes, (o, n) => o / n).Order().ToArray();
        var (nsMin, nsMed) = MinMedian(nsTimes);
        var (ortMin, ortMed) = MinMedian(ortTimes);
        var (fwMin, fwMed) = MinMedian(forwardTimes);
        var (unMin, unMed) = MinMedian(unfoldedTimes);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {w.Name} | {nsMin:F3} / {nsMed:F3} ms | {ortMin:F3} / {ortMed:F3} ms | " +
            $"**{ortMin / nsMin:F2}×**, {ortMed / nsMed:F2}× ({ratios[0]:F2}–{ratios[^1]:F2}) | " +
            $"{w.Batch * 1000 / nsMed:N0} | {w.Batch * 1000 / ortMed:N0} | {fwMin:F3} / {fwMed:F3} ms ({ortMin / fwMin:F2}×) | {unMin:F3} / {unMed:F3} ms | " +
            $"{diffFolded:E1} ({diffUnfolded:E1}, {diffNs:E1}) / {MathF.Abs(TensorPrimitives.MaxMagnitude(nsOut)):F2} | {allocated / ((double)rounds * reps):F0} |");
    }

    /// <summary>Calls <paramref name="run"/> ≥ 50 times and for ≥ 0.5 s; returns the median ms of the last calls.</summary>
    private static double WarmUp(Action run)
    {
        var last = new double[50];
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (calls < last.Length || clock.ElapsedMilliseconds < 500)
            last[calls++ % last.Length] = TimeBlock(run, 1);
        Array.Sort(last);
        return last[last.Length / 2];
    }

    /// <summary>
    /// <see cref="TimeBlock"/> after untimed calls of the same engine (≥ 5 and ≥ half a block), as every engine's timed
    /// block starts: each finds the caches as its own steady state leaves them, not as the engine timed before it left
    /// them (a block of the MLP at batch 500 is one call, which otherwise began in the caches of the ORT session just
    /// disposed).
    /// </summary>
    private static double WarmThenTime(Action run, int reps)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 5 || clock.Elapsed.TotalMilliseconds < BlockMs / 2; i++) run();
        return TimeBlock(run, reps);
    }

    /// <summary>Milliseconds per call over <paramref name="reps"/> back-to-back calls.</summary>
    private static double TimeBlock(Action run, int reps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < reps; i++) run();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds / reps;
    }

    private static (double Min, double Median) MinMedian(double[] values)
    {
        var sorted = values.Order().ToArray();
        return (sorted[0], sorted[sorted.Length / 2]);
    }

    private static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new InvalidOperationException($"outputs differ in length: {a.Length} and {b.Length}");
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"ort: {args[i - 1]} needs a value");

    /// <summary>The 1, 5 and 15 minute load averages (as <c>uptime</c> prints them), or "n/a" off Linux.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>normsharp bench train</c>: training steps per second of a <see cref="ModelZoo"/> network (the seeds' MLP or d2l's LeNet-5) on synthetic
/// MNIST-shaped data, as bench/compare_torch.py runs the same workload in PyTorch (same shapes, optimizer
/// — Adam lr 1e-3 for the MLP, SGD lr 0.1 for LeNet — loss and thread count). The last line printed is
/// <c>examples_per_second: N</c>; warm-up steps are excluded.
/// </summary>
/// <remarks>
/// With <c>--profile</c> a second, separately timed run of the same steps goes layer by layer and prints
/// where the time goes per layer type (forward and backward) plus loss and optimizer; its timestamps cost
/// a few microseconds a step, so the figure to quote stays the plain run's.
/// </remarks>
internal static class BenchTrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "mlp or lenet.", Required = true };
        model.AcceptOnlyFromAmong("mlp", "lenet");
        var hidden = new Option<string>("--hidden") { Description = "MLP hidden widths, comma-separated.", DefaultValueFactory = _ => "500,400,300,200,100,50,25" };
        var bn = new Option<bool>("--bn") { Description = "Insert BatchNorm layers." };
        var activation = new Option<string?>("--activation") { Description = "relu, sigmoid or tanh (default: relu for mlp, sigmoid for lenet)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per step.", DefaultValueFactory = _ => 500 };
        var steps = new Option<int>("--steps") { Description = "Measured steps.", DefaultValueFactory = _ => 50 };
        var warmup = new Option<int>("--warmup") { Description = "Steps run before timing (JIT tiering, buffers).", DefaultValueFactory = _ => 20 };
        var threads = new Option<int>("--threads") { Description = "Kernel threads (the caller included).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the weights and the synthetic data.", DefaultValueFactory = _ => 0 };
        var profile = new Option<bool>("--profile") { Description = "Also print a per-layer-type time breakdown." };
        var command = new Command("train", "Time training steps on synthetic MNIST-shaped data; prints examples_per_second last.")
            { model, hidden, bn, activation, batchSize, steps, warmup, threads, seed, profile };
        command.SetAction(parse =>
        {
            int b = parse.GetValue(batchSize), s = parse.GetValue(steps), w = parse.GetValue(warmup), t = parse.GetValue(threads);
            if (b < 2 || s < 1 || w < 0 || t < 1)
            {
                Console.Error.WriteLine($"need --batch-size ≥ 2 (BatchNorm), --steps ≥ 1, --warmup ≥ 0, --threads ≥ 1 (got {b}, {s}, {w}, {t})");
                return 2;
            }
            int[] widths;
            try { widths = ParseWidths(parse.GetValue(hidden)!); }
            catch (FormatException e) { Console.Error.WriteLine(e.Message); return 2; }
            ParallelRunner.Threads = t;
            var spec = new Workload(parse.GetValue(model)!, widths, parse.GetValue(bn), parse.GetValue(activation), b, parse.GetValue(seed));
            Run(spec, s, w, parse.GetValue(profile));
            return 0;
        });
        return command;
    }

    private sealed record Workload(string Model, int[] Hidden, bool BatchNorm, string? Activation, int BatchSize, ulong Seed)
    {
        public bool IsMlp => Model == "mlp";
    }

    private static void Run(Workload spec, int steps, int warmup, bool profile)
    {
        var rng = new Rng(spec.Seed);
        // The library's builders drop the bias of a layer right before BN (the mean cancels it); so does
        // bench/compare_torch.py.
        var options = new ModelOptions
        {
            Activation = spec.Activation ?? (spec.IsMlp ? "relu" : "sigmoid"),
            Normalization = spec.BatchNorm ? NormalizationKind.BatchNorm : NormalizationKind.None,
            Rng = rng,
        };
        var model = spec.IsMlp ? ModelZoo.Mlp(784, spec.Hidden, 10, options) : ModelZoo.LeNet(10, options);
        var parameters = model.NamedParameters().Select(p => p.Parameter).ToList();
        Optimizer optimizer = spec.IsMlp ? new Adam(parameters, lr: 1e-3f) : new Sgd(parameters, lr: 0.1f);
        var trainer = new Trainer(model, new CrossEntropyLoss(), optimizer);
        var (xs, ys) = SyntheticBatches(rng, spec, Math.Min(steps + warmup, 8));

        Console.WriteLine($"engine: normsharp on .NET {Environment.Version}, threads {ParallelRunner.Threads}");
        Console.WriteLine($"workload: {spec.Model}{(spec.BatchNorm ? " +bn" : "")}, {parameters.Sum(p => (long)p.Value.Size)} parameters, " +
                          $"batch {spec.BatchSize}, optimizer {optimizer.GetType().Name}");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < warmup; i++) trainer.TrainStep(xs[i % xs.Length], ys[i % xs.Length]);
        Console.WriteLine($"warmup: {warmup} steps in {clock.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)} s");

        float loss = float.NaN;
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int collections = GC.CollectionCount(0);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) loss = trainer.TrainStep(xs[(warmup + i) % xs.Length], ys[(warmup + i) % xs.Length]);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        collections = GC.CollectionCount(0) - collections;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;

        if (profile) new LayerProfile(model, trainer, xs, ys).Run(steps).Print(Console.Out);
        Console.WriteLine($"measured: {steps} steps in {seconds.ToString("F3", CultureInfo.InvariantCulture)} s, " +
                          $"{(1000 * seconds / steps).ToString("F3", CultureInfo.InvariantCulture)} ms/step, last loss {loss.ToString("F4", CultureInfo.InvariantCulture)}, " +
                          $"managed bytes allocated {allocated}, gen-0 collections {collections}");
        // CPU time of the whole process (spinning workers included): on a loaded machine examples per
        // CPU-second at one thread tracks the work done better than wall time does.
        Console.WriteLine($"examples_per_cpu_second: {(steps * spec.BatchSize / cpuSeconds).ToString("F1", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"examples_per_second: {(steps * spec.BatchSize / seconds).ToString("F1", CultureInfo.InvariantCulture)}");
    }

    /// <summary>A few distinct batches generated before timing (as the PyTorch side does): standard-normal
    /// pixels and uniformly drawn class indices.</summary>
    private static (Tensor[] X, Tensor[] Y) SyntheticBatches(Rng rng, Workload spec, int count)
    {
        var xs = new Tensor[count];
        var ys = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            xs[i] = spec.IsMlp ? new Tensor(spec.BatchSize, 784) : new Tensor(spec.BatchSize, 1, 28, 28);
            var x = xs[i].Span;
            for (int j = 0; j < x.Length; j++) x[j] = rng.NextGaussian();
            ys[i] = new Tensor(spec.BatchSize);
            var y = ys[i].Span;
            for (int j = 0; j < y.Length; j++) y[j] = rng.NextInt(10);
        }
        return (xs, ys);
    }

    internal static int[] ParseWidths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1)
                throw new FormatException($"--hidden: '{parts[i]}' is not a positive integer width (expected e.g. 500,400,300)");
        return widths;
    }
}

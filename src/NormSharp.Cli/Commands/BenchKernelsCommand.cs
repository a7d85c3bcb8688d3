using System.CommandLine;
using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>normsharp bench kernels</c>: quick in-process timings of the kernels the reference workloads spend
/// their time in — memory bandwidth (a STREAM-style triad), SGEMM (square and the 7-layer MLP's own shapes),
/// BatchNorm forward+backward, LeNet's convolutions — with warm-up, as the median of several windows.
/// </summary>
/// <remarks>
/// One line per kernel, <c>kernel NAME ms M min A max B gflops G gbs S</c> (<c>-</c> where a rate does not
/// apply); <c>bench/compare_torch.py --kernels</c> prints the same names for PyTorch, and
/// <c>bench/compare.sh</c> pairs them. GB/s counts the bytes a kernel must move at least (each pass over an
/// array once), so it can be held against the triad's figure, the machine's measured bandwidth.
/// </remarks>
internal static class BenchKernelsCommand
{
    public static Command Create()
    {
        var threads = new Option<int>("--threads") { Description = "Kernel threads (the caller included).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var quick = new Option<bool>("--quick") { Description = "Fewer, shorter windows (a smoke run)." };
        var filter = new Option<string?>("--filter") { Description = "Only kernels whose name contains this text." };
        var cpuTime = new Option<bool>("--cpu-time") { Description = "Time in process CPU seconds instead of wall seconds (a loaded machine, 1 thread)." };
        var command = new Command("kernels", "Time GEMM, BatchNorm, convolution and memory bandwidth in-process (warm-up excluded).")
            { threads, quick, filter, cpuTime };
        command.SetAction(parse =>
        {
            int t = parse.GetValue(threads);
            if (t < 1) { Console.Error.WriteLine($"--threads must be at least 1 (got {t})"); return 2; }
            ParallelRunner.Threads = t;
            bool q = parse.GetValue(quick);
            var runner = new KernelRunner(q ? 3 : 7, q ? 0.02 : 0.08, parse.GetValue(filter), parse.GetValue(cpuTime));
            Console.WriteLine($"engine: normsharp on .NET {Environment.Version}, threads {t}, clock {(parse.GetValue(cpuTime) ? "cpu" : "wall")}, AVX-512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
            Run(runner);
            return 0;
        });
        return command;
    }

    private static void Run(KernelRunner r)
    {
        var rng = new Rng(7);
        Triad(r);
        foreach (int n in (int[])[256, 512, 1024, 2048])
        {
            if (!r.Wants($"sgemm-nn-{n}")) continue;
            float[] a = Random(rng, n * n), b = Random(rng, n * n), c = new float[n * n];
            r.Time($"sgemm-nn-{n}", () => Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n), 2.0 * n * n * n, 0);
        }
        MlpGemms(r, rng);
        BatchNormCase(r, rng, "bn1d-500x500-fwdbwd", new BatchNorm1d(500), [500, 500]);
        BatchNormCase(r, rng, "bn1d-500x1024-fwdbwd", new BatchNorm1d(1024), [500, 1024]); // a multiple of 512: applied row by row
        BatchNormCase(r, rng, "bn2d-256x6x28x28-fwdbwd", new BatchNorm2d(6), [256, 6, 28, 28]);
        BatchNormCase(r, rng, "bn2d-256x6x24x24-fwdbwd", new BatchNorm2d(6), [256, 6, 24, 24]);
        foreach (var (floorName, elements) in new[] { ("floor-bn1d-500x500-fwdbwd", 500 * 500), ("floor-bn2d-256x6x24x24-fwdbwd", 256 * 6 * 24 * 24) })
            if (r.Wants(floorName)) BenchBatchNormFloor.Time(r.Time, floorName, elements);
        BatchNormPasses(r, rng, "bn1d-500x500", 500, 500, 1);
        BatchNormPasses(r, rng, "bn2d-256x6x28x28", 256, 6, 28 * 28);
        BatchNormPasses(r, rng, "bn2d-256x6x24x24", 256, 6, 24 * 24);
        ConvCase(r, rng, "conv1-256x1x28x28-k5p2", new Conv2d(1, 6, 5, padding: 2, rng: rng) { NeedsInputGradient = false }, [256, 1, 28, 28]);
        ConvCase(r, rng, "conv2-256x6x14x14-k5", new Conv2d(6, 16, 5, rng: rng), [256, 6, 14, 14]);
    }

    /// <summary>a = b + s·c over 3 × 64 MB, split over the kernel threads: the machine's streaming bandwidth.</summary>
    private static unsafe void Triad(KernelRunner r)
    {
        const string name = "triad-3x64MB";
        if (!r.Wants(name)) return;
        const int n = 16 << 20;
        float* a = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)n * 4, 64);
        float* b = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)n * 4, 64);
        float* c = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)n * 4, 64);
        try
        {
            new Span<float>(b, n).Fill(1f);
            new Span<float>(c, n).Fill(2f);
            new Span<float>(a, n).Clear();
            var body = new TriadBody(a, b, c, n, 4 * ParallelRunner.Threads);
            r.Time(name, () => ParallelRunner.For(body.Chunks, body), 0, 3.0 * n * 4);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(a);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(b);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(c);
        }
    }

    private readonly unsafe struct TriadBody(float* a, float* b, float* c, int n, int chunks) : IChunkBody
    {
        public int Chunks => chunks;

        public void Execute(int chunk)
        {
            int start = (int)((long)n * chunk / chunks), end = (int)((long)n * (chunk + 1) / chunks);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(
                new ReadOnlySpan<float>(c + start, end - start), 3f, new ReadOnlySpan<float>(b + start, end - start),
                new Span<float>(a + start, end - start));
        }
    }

    /// <summary>The GEMMs of one 7-layer MLP training step at batch 500: per layer y = x·Wᵀ, dW = dyᵀ·x,
    /// dx = dy·W (none for the first layer). The first two layers one by one, then the whole step.</summary>
    private static void MlpGemms(KernelRunner r, Rng rng)
    {
        const int batch = 500;
        int[] widths = [784, 500, 400, 300, 200, 100, 50, 25, 10];
        var steps = new List<(Action Run, double Flops)>();
        for (int l = 0; l + 1 < widths.Length; l++)
        {
            int inF = widths[l], outF = widths[l + 1];
            float[] x = Random(rng, batch * inF), w = Random(rng, outF * inF), dy = Random(rng, batch * outF);
            float[] y = new float[batch * outF], dw = new float[outF * inF], dx = new float[batch * inF];
            double flops = 2.0 * batch * inF * outF;
            var fwd = (Action)(() => Gemm.Sgemm(false, true, batch, outF, inF, 1f, x, inF, w, inF, 0f, y, outF));
            var dW = (Action)(() => Gemm.Sgemm(true, false, outF, inF, batch, 1f, dy, outF, x, inF, 1f, dw, inF));
            var dX = (Action)(() => Gemm.Sgemm(false, false, batch, inF, outF, 1f, dy, outF, w, inF, 0f, dx, inF));
            steps.Add((fwd, flops));
            steps.Add((dW, flops));
            if (l > 0) steps.Add((dX, flops));
            if (l < 2)
            {
                string shape = $"{batch}x{inF}x{outF}";
                r.Time($"sgemm-mlp-fwd-{shape}", fwd, flops, 0);
                r.Time($"sgemm-mlp-dw-{shape}", dW, flops, 0);
                r.Time($"sgemm-mlp-dx-{shape}", dX, flops, 0);
            }
        }
        r.Time("sgemm-mlp-step-all", () => { foreach (var s in steps) s.Run(); }, steps.Sum(s => s.Flops), 0);
    }

    /// <summary>Training-mode forward + backward with dx; bytes: forward reads x twice and writes y,
    /// backward reads x and dy twice and writes dx (8 passes of the tensor's size).</summary>
    private static void BatchNormCase(KernelRunner r, Rng rng, string name, Module bn, int[] shape)
    {
        if (!r.Wants(name)) return;
        var x = RandomTensor(rng, shape);
        var dy = RandomTensor(rng, shape);
        r.Time(name, () => { bn.Forward(x); bn.Backward(dy); }, 0, 8.0 * x.Size * 4);
    }

    /// <summary>BN's four kernels one by one (statistics, apply, backward reduction, backward apply), then the two fused
    /// training kernels: which
    /// pass costs what. Bytes: one read of x; read x, write y; read x and dy; read x and dy, write dx;
    /// fused: as apply and backward apply (the reduction re-reads from cache).</summary>
    private static void BatchNormPasses(KernelRunner r, Rng rng, string name, int n, int c, int spatial)
    {
        if (!r.Wants(name + "-pass")) return;
        int size = n * c * spatial;
        float[] x = Random(rng, size), dy = Random(rng, size), y = new float[size];
        float[] alpha = Random(rng, c), shift = Random(rng, c), mean = Random(rng, c);
        double[] m = new double[c], m2 = new double[c], inv = new double[c];
        r.Time(name + "-pass-statistics", () => BatchNorm.Statistics(x, n, c, spatial, m, m2), 0, 4.0 * size);
        r.Time(name + "-pass-apply", () => BatchNorm.Apply(x, n, c, spatial, alpha, shift, y), 0, 8.0 * size);
        r.Time(name + "-pass-backward-reduce", () => BatchNorm.BackwardReduce(x, dy, n, c, spatial, mean, m, m2), 0, 8.0 * size);
        r.Time(name + "-pass-backward-apply", () => BatchNorm.BackwardApply(x, dy, n, c, spatial, alpha, shift, mean, y), 0, 12.0 * size);
        float[] gamma = Random(rng, c), beta = Random(rng, c), a = new float[c], b = new float[c], k = new float[c];
        r.Time(name + "-pass-forward-fused", () => BatchNorm.ForwardTraining(x, n, c, spatial, gamma, beta, 1e-5, m, m2, inv, a, b, y), 0, 8.0 * size);
        r.Time(name + "-pass-backward-fused", () => BatchNorm.BackwardTraining(x, dy, n, c, spatial, mean, alpha, shift, m, m2, a, b, y), 0, 12.0 * size);
    }

    /// <summary>Forward alone, then forward + backward (dW, db, and dx unless the layer skips it).</summary>
    private static void ConvCase(KernelRunner r, Rng rng, string name, Conv2d conv, int[] shape)
    {
        var x = RandomTensor(rng, shape);
        var outShape = conv.OutputShape(shape);
        var dy = RandomTensor(rng, outShape);
        double flops = 2.0 * outShape[0] * outShape[1] * outShape[2] * outShape[3] * conv.InChannels * conv.KernelSize * conv.KernelSize;
        r.Time(name + "-fwd", () => conv.Forward(x), flops, 0);
        r.Time(name + "-fwdbwd", () => { conv.Forward(x); conv.Backward(dy); }, flops * (conv.NeedsInputGradient ? 3 : 2), 0);
    }

    private static float[] Random(Rng rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextUniform(-1f, 1f);
        return a;
    }

    private static Tensor RandomTensor(Rng rng, int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextGaussian();
        return t;
    }

    /// <summary>Times and prints one kernel (when the filter lets it through).</summary>
    private sealed class KernelRunner(int windows, double windowSeconds, string? filter, bool cpuTime)
    {
        public bool Wants(string name) => string.IsNullOrEmpty(filter) || name.Contains(filter, StringComparison.OrdinalIgnoreCase);

        public void Time(string name, Action action, double flops, double bytes)
        {
            if (!Wants(name)) return;
            var t = BenchTiming.Measure(action, windows, windowSeconds, cpuTime);
            string gflops = flops > 0 ? BenchTiming.F(flops / t.Median / 1e9, 1) : "-";
            string gbs = bytes > 0 ? BenchTiming.F(bytes / t.Median / 1e9, 1) : "-";
            Console.WriteLine($"kernel {name} ms {BenchTiming.F(t.Median * 1e3, 4)} min {BenchTiming.F(t.Min * 1e3, 4)} " +
                              $"max {BenchTiming.F(t.Max * 1e3, 4)} gflops {gflops} gbs {gbs}");
        }
    }
}

namespace NormSharp.Kernels;

/// <summary>
/// Multithreaded drivers of the fused optimizer updates for large parameters (the 784×500 weight of the
/// seeds' MLP): contiguous element ranges per chunk through <see cref="ParallelRunner"/>. The update is
/// element-wise, so the result is identical for every thread count.
/// </summary>
public static unsafe partial class OptimizerKernels
{
    /// <summary>Below this many elements per chunk a thread wake-up costs more than it saves
    /// (PyTorch's grain size, shared/PERF.md "Threading").</summary>
    public const int ParallelGrain = 32_768;

    /// <summary><see cref="Sgd"/> over raw pointers, split across the worker pool when large.</summary>
    public static void SgdParallel(float* param, float* grad, float* momentumBuffer, int length,
        float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep)
    {
        var body = new SgdChunk(param, grad, momentumBuffer, length, ParallelRunner.ChunksFor(length, ParallelGrain),
            lr, momentum, dampening, weightDecay, nesterov, firstStep);
        ParallelRunner.For(body.Chunks, body);
    }

    /// <summary><see cref="Adam"/> over raw pointers, split across the worker pool when large.</summary>
    public static void AdamParallel(float* param, float* grad, float* expAvg, float* expAvgSq, int length,
        float beta1, float beta2, float eps, float l2WeightDecay, float decoupledDecay, float stepSize, float bias2Sqrt)
    {
        var body = new AdamChunk(param, grad, expAvg, expAvgSq, length, ParallelRunner.ChunksFor(length, ParallelGrain),
            beta1, beta2, eps, l2WeightDecay, decoupledDecay, stepSize, bias2Sqrt);
        ParallelRunner.For(body.Chunks, body);
    }

    /// <summary><see cref="RmsProp"/> over raw pointers, split across the worker pool when large.
    /// <paramref name="gradAvg"/> and <paramref name="momentumBuffer"/> may be null when unused.</summary>
    public static void RmsPropParallel(float* param, float* grad, float* squareAvg, float* gradAvg, float* momentumBuffer, int length,
        float lr, float alpha, float eps, float weightDecay, float momentum, bool centered)
    {
        var body = new RmsPropChunk(param, grad, squareAvg, gradAvg, momentumBuffer, length, ParallelRunner.ChunksFor(length, ParallelGrain),
            lr, alpha, eps, weightDecay, momentum, centered);
        ParallelRunner.For(body.Chunks, body);
    }

    /// <summary>Start and length of chunk <paramref name="chunk"/> of <paramref name="chunks"/> equal ranges.</summary>
    private static (int Start, int Length) Range(int length, int chunks, int chunk)
    {
        long start = (long)length * chunk / chunks, end = (long)length * (chunk + 1) / chunks;
        return ((int)start, (int)(end - start));
    }

    private static Span<float> Slice(float* p, int start, int length) => p is null ? default : new Span<float>(p + start, length);

    private readonly struct SgdChunk(float* p, float* g, float* b, int length, int chunks,
        float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep) : IChunkBody
    {
        public int Chunks => chunks;

        public void Execute(int chunk)
        {
            var (s, n) = Range(length, chunks, chunk);
            Sgd(Slice(p, s, n), Slice(g, s, n), Slice(b, s, n), lr, momentum, dampening, weightDecay, nesterov, firstStep);
        }
    }

    private readonly struct AdamChunk(float* p, float* g, float* m, float* v, int length, int chunks,
        float beta1, float beta2, float eps, float l2, float decay, float stepSize, float bias2Sqrt) : IChunkBody
    {
        public int Chunks => chunks;

        public void Execute(int chunk)
        {
            var (s, n) = Range(length, chunks, chunk);
            Adam(Slice(p, s, n), Slice(g, s, n), Slice(m, s, n), Slice(v, s, n), beta1, beta2, eps, l2, decay, stepSize, bias2Sqrt);
        }
    }

    private readonly struct RmsPropChunk(float* p, float* g, float* sq, float* a, float* b, int length, int chunks,
        float lr, float alpha, float eps, float weightDecay, float momentum, bool centered) : IChunkBody
    {
        public int Chunks => chunks;

        public void Execute(int chunk)
        {
            var (s, n) = Range(length, chunks, chunk);
            RmsProp(Slice(p, s, n), Slice(g, s, n), Slice(sq, s, n), Slice(a, s, n), Slice(b, s, n),
                lr, alpha, eps, weightDecay, momentum, centered);
        }
    }
}

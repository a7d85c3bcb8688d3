namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Multiply-adds (m·n·k) below which one thread does the whole product: about 10–20 µs of
    /// work, the order of a worker's wake-up, so small layers (an MLP's 500×25) pay no threading cost.</summary>
    private const long SerialWork = 1L << 20;

    /// <summary>
    /// Cuts C into one slice per thread along N or M and runs <see cref="ComputeSlice{TKernel}"/> on each.
    /// Splitting N makes every thread read all of A (packing it where it is not read in place); splitting M makes every
    /// thread pack all of B, unless B is prepacked. N is split when it is at least M and B is packed per call. Slice
    /// borders fall on multiples of the tile size and depend only on the sizes and <see cref="ParallelRunner.Threads"/>; K is never split, so no thread count changes a result bit.
    /// </summary>
    private static void RunParallel<TKernel>(in Problem p) where TKernel : struct, IMicroKernel
    {
        int threads = ParallelRunner.Threads;
        int unitsN = (p.N + TKernel.Nr - 1) / TKernel.Nr;
        int unitsM = (p.M + TKernel.Mr - 1) / TKernel.Mr;
        // With B prepacked neither split packs anything; splitting M keeps each thread on the rows of A it wrote as
        // the layer before (a chain of inference products): 7-layer MLP at batch 500, 2 threads, 3.77–3.80 ms against
        // 3.84–3.85 split along N.
        bool splitN = p.PrepackedB == null && p.N >= p.M;
        if (splitN && unitsN < threads && unitsM > unitsN) splitN = false;
        else if (!splitN && unitsM < threads && unitsN > unitsM) splitN = true;
        int units = splitN ? unitsN : unitsM;
        int chunks = threads == 1 || (long)p.M * p.N * p.K < SerialWork ? 1 : Math.Min(threads, units);
        if (chunks == 1)
        {
            ComputeSlice<TKernel>(p, 0, p.M, 0, p.N, Workspace.ForCurrentThread);
            return;
        }
        ParallelRunner.For(chunks, new Slices<TKernel>(p, chunks, units, splitN));
    }

    /// <summary>One thread's slice of C: units (tiles' widths or heights) spread evenly over the chunks.</summary>
    private readonly struct Slices<TKernel>(Problem problem, int chunks, int units, bool splitN) : IChunkBody
        where TKernel : struct, IMicroKernel
    {
        private readonly Problem _problem = problem;

        public void Execute(int chunk)
        {
            int unit = splitN ? TKernel.Nr : TKernel.Mr;
            int extent = splitN ? _problem.N : _problem.M;
            int start = (int)((long)units * chunk / chunks) * unit;
            int end = Math.Min(extent, (int)((long)units * (chunk + 1) / chunks) * unit);
            if (start >= end) return;
            var ws = Workspace.ForCurrentThread;
            if (splitN) ComputeSlice<TKernel>(_problem, 0, _problem.M, start, end, ws);
            else ComputeSlice<TKernel>(_problem, start, end, 0, _problem.N, ws);
        }
    }
}

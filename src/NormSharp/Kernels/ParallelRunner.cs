using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace NormSharp.Kernels;

/// <summary>One chunk of a parallel loop. Implemented by small structs that carry raw pointers and sizes.</summary>
public interface IChunkBody
{
    /// <summary>Processes chunk <paramref name="chunk"/> of the loop; chunks never overlap in what they write.</summary>
    void Execute(int chunk);
}

/// <summary>One party of a cooperative loop (<see cref="ParallelRunner.Together"/>): every party runs at once on its
/// own thread and may wait for the others at <see cref="PartyBarrier.Wait"/>.</summary>
public interface IPartyBody
{
    /// <summary>Runs party <paramref name="party"/> of <paramref name="parties"/>; <paramref name="barrier"/> joins them all.</summary>
    void Execute(int party, int parties, PartyBarrier barrier);
}

/// <summary>
/// A spinning barrier for the parties of one <see cref="ParallelRunner.Together"/> call. Parties spin rather than
/// sleep: they run at once by construction and a phase of a kernel lasts microseconds.
/// </summary>
public sealed class PartyBarrier
{
    private readonly int _parties;
    private int _arrived;
    private int _phase;
    private volatile bool _broken;

    internal PartyBarrier(int parties) => _parties = parties;

    /// <summary>Returns once every party has called it (as often as this one); throws when a party failed.</summary>
    public void Wait()
    {
        if (_parties == 1) return;
        int phase = Volatile.Read(ref _phase);
        if (Interlocked.Increment(ref _arrived) == _parties)
        {
            Volatile.Write(ref _arrived, 0);
            Interlocked.Increment(ref _phase); // releases the others; its full fence publishes the reset
            return;
        }
        var wait = new ParallelRunner.ShortWait();
        while (Volatile.Read(ref _phase) == phase)
        {
            if (_broken) throw new OperationCanceledException("another party of the cooperative kernel failed");
            wait.Spin();
        }
    }

    internal void Reset()
    {
        _arrived = 0;
        _broken = false;
    }

    internal void Break() => _broken = true;

    internal static readonly PartyBarrier Single = new(1);
}

/// <summary>
/// A persistent worker pool for kernels: the calling thread plus <c>Threads − 1</c> workers that spin
/// briefly and then sleep. Per-call <c>Parallel.For</c> costs tens of microseconds of wake-up on this
/// machine kind (shared/PERF.md, "Threading"); a spinning worker picks work up in well under one.
/// </summary>
/// <remarks>
/// Determinism: a kernel decides its chunking from the problem size and <see cref="Threads"/> only, and
/// every chunk writes its own output (partial sums are combined by the caller in chunk order), so the
/// result never depends on which thread ran which chunk. When the pool is busy (a second caller, or a
/// kernel called from inside a chunk) the loop simply runs on the calling thread, with the same chunks.
/// </remarks>
public static class ParallelRunner
{
    private static WorkerPool? s_pool;
    private static int s_threads = DefaultThreads();
    private static readonly object s_configLock = new();

    /// <summary>Threads kernels may use (the caller included). Defaults to the processor count
    /// (or <c>NORMSHARP_THREADS</c>). Changing it affects results only through chunking choices.</summary>
    public static int Threads
    {
        get => s_threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be at least 1");
            lock (s_configLock)
            {
                if (value == s_threads) return;
                s_pool?.Dispose();
                s_pool = null;
                s_threads = value;
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> for chunks 0 … <paramref name="chunkCount"/>−1, spread over the pool.</summary>
    public static void For<TBody>(int chunkCount, in TBody body) where TBody : struct, IChunkBody
    {
        if (chunkCount <= 0) return;
        if (chunkCount == 1 || s_threads == 1 || WorkerPool.IsWorkerThread)
        {
            RunSerial(chunkCount, body);
            return;
        }
        var pool = s_pool ?? CreatePool();
        if (!pool.TryRun(chunkCount, body)) RunSerial(chunkCount, body);
    }

    /// <summary>
    /// Runs chunks 0 … <paramref name="chunkCount"/>−1 (at most <see cref="Threads"/>) with chunk i on the same thread at
    /// every call (<see cref="Together"/>'s party i: chunk 0 on the caller, chunk i on worker i − 1), so that data a chunk
    /// reads at each call (a weight matrix's rows) stays in that core's L2. For does not pin: the first free thread takes
    /// the next chunk. Falls back to the chunks one after another where Together runs a single party.
    /// </summary>
    public static void ForPinned<TBody>(int chunkCount, in TBody body) where TBody : struct, IChunkBody
    {
        if (chunkCount <= 0) return;
        if (chunkCount == 1 || chunkCount > s_threads) { For(chunkCount, body); return; }
        Together(chunkCount, new PinnedChunks<TBody>(body, chunkCount));
    }

    /// <summary>Party i runs chunk i; a lone party (Together's fallback) runs them all.</summary>
    private readonly struct PinnedChunks<TBody>(TBody body, int chunks) : IPartyBody where TBody : struct, IChunkBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            if (parties == chunks) body.Execute(party);
            else for (int c = 0; c < chunks; c++) body.Execute(c);
        }
    }

    /// <summary>
    /// Runs the <paramref name="parties"/> parties of <paramref name="body"/> at once, party 0 on the calling thread and
    /// party i on worker i − 1 at every call, so that they can meet at the barrier and each party keeps its data in its
    /// core's cache from one call to the next. When that cannot be had (one thread, a busy pool, a call from inside a
    /// chunk, more parties than threads) it runs one party: the body must then do all the work itself, and compute
    /// the same result.
    /// </summary>
    public static void Together<TBody>(int parties, in TBody body) where TBody : struct, IPartyBody
    {
        if (parties > 1 && parties <= s_threads && !WorkerPool.IsWorkerThread)
        {
            var pool = s_pool ?? CreatePool();
            if (pool.TryRunTogether(parties, body)) return;
        }
        body.Execute(0, 1, PartyBarrier.Single);
    }

    /// <summary>
    /// Bytes allocated so far by the calling thread and by every worker of the pool, summed; null when the pool could not
    /// run a party on each of them at once (a busy pool, a call from inside a chunk). For tests that assert a steady state
    /// allocates nothing: <see cref="GC.GetTotalAllocatedBytes(bool)"/> also counts the test host's and the runtime's own
    /// threads (one of them allocated 168 bytes in every 50 ms window of an inference test on Zen 3), and
    /// <see cref="GC.GetAllocatedBytesForCurrentThread"/> misses the workers. Allocates nothing itself after its first call
    /// at a thread count.
    /// </summary>
    internal static long? AllocatedBytesOfKernelThreads()
    {
        int parties = s_threads;
        long[] counts = s_allocationCounts is { } cached && cached.Length == parties ? cached : s_allocationCounts = new long[parties];
        counts.AsSpan().Fill(-1);
        Together(parties, new AllocationCount(counts));
        long sum = 0;
        foreach (long c in counts)
        {
            if (c < 0) return null;
            sum += c;
        }
        return sum;
    }

    private static long[]? s_allocationCounts;

    /// <summary>Each party's thread's allocation counter (party 0 the caller, each other party its own worker).</summary>
    private readonly struct AllocationCount(long[] counts) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier) => counts[party] = GC.GetAllocatedBytesForCurrentThread();
    }

    /// <summary>Number of chunks for <paramref name="work"/> units when each chunk should hold at least
    /// <paramref name="grain"/> units: 1 for small work, otherwise a small multiple of <see cref="Threads"/>.</summary>
    public static int ChunksFor(long work, long grain)
    {
        if (s_threads == 1 || work < 2 * grain) return 1;
        long chunks = Math.Min(work / grain, 4L * s_threads);
        return (int)Math.Max(1, chunks);
    }

    private static void RunSerial<TBody>(int chunkCount, TBody body) where TBody : struct, IChunkBody
    {
        for (int c = 0; c < chunkCount; c++) body.Execute(c);
    }

    private static WorkerPool CreatePool()
    {
        lock (s_configLock)
            return s_pool ??= new WorkerPool(s_threads - 1);
    }

    private static int DefaultThreads()
    {
        var env = Environment.GetEnvironmentVariable("NORMSHARP_THREADS");
        if (int.TryParse(env, out int t) && t >= 1) return t;
        return Environment.ProcessorCount;
    }

    /// <summary>
    /// How the threads of one kernel wait for each other: pause instructions (<c>Thread.SpinWait(1)</c>) for up to 50 µs,
    /// then <see cref="SpinWait.SpinOnce(int)"/> (which yields to the OS). SpinOnce alone yields after ten rounds, and a
    /// yield is a system call of about a microsecond: the caller noticed a worker's end late, and an idle worker in
    /// <c>Thread.SpinWait(30)</c> noticed new work late. Measured on this machine kind (2026-12-01, an empty
    /// two-chunk loop, three runs alternating with the old build): 0.78–0.93 µs before, 0.13–0.14 µs after.
    /// </summary>
    internal struct ShortWait
    {
        /// <summary>Spin this long before yielding: long enough to bridge the gap between consecutive kernels of one
        /// training step, short enough not to steal the core the caller needs (PERF.md, "Threading").</summary>
        private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

        private long _start;
        private SpinWait _yielding;

        /// <summary>One round of waiting: a pause, or once the pause budget is spent a yield.</summary>
        public void Spin()
        {
            if (!Pause()) _yielding.SpinOnce(sleep1Threshold: -1);
        }

        /// <summary>A pause while the budget lasts (true); false once it is spent (the caller yields or sleeps).</summary>
        public bool Pause()
        {
            long now = Stopwatch.GetTimestamp();
            if (_start == 0) _start = now;
            if (now - _start >= SpinTicks) return false;
            Thread.SpinWait(1);
            return true;
        }
    }

    /// <summary>Holds the body of the loop in flight for one body type, so that dispatch allocates nothing.</summary>
    private static class Slot<TBody> where TBody : struct, IChunkBody
    {
        public static TBody Body;
        public static readonly Action<int> Run = static chunk => Body.Execute(chunk);
    }

    /// <summary>Holds the cooperative body in flight for one body type.</summary>
    private static class PartySlot<TBody> where TBody : struct, IPartyBody
    {
        public static TBody Body;
        public static int Parties;
        public static PartyBarrier? Barrier;
        public static readonly Action<int> Run = static party => Body.Execute(party, Parties, Barrier!);
    }

    private sealed class WorkerPool : IDisposable
    {
        [ThreadStatic] private static bool t_isWorker;
        public static bool IsWorkerThread => t_isWorker;

        private readonly Thread[] _threads;
        private readonly PartyBarrier?[] _barriers;
        private readonly object _dispatchLock = new();
        private readonly object _sleepLock = new();
        private Action<int>? _work;
        private int _chunkCount;
        private bool _oneEach;
        private PartyBarrier? _activeBarrier;
        private int _nextChunk;
        private int _pending;
        private int _generation;
        private int _sleepers;
        private volatile bool _disposed;
        private Exception? _failure;

        public WorkerPool(int workers)
        {
            _threads = new Thread[workers];
            _barriers = new PartyBarrier?[workers + 2];
            for (int i = 0; i < workers; i++)
            {
                int worker = i;
                _threads[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"normsharp-worker-{i}" };
                _threads[i].Start();
            }
        }

        public bool TryRun<TBody>(int chunkCount, in TBody body) where TBody : struct, IChunkBody
        {
            if (!Monitor.TryEnter(_dispatchLock)) return false;
            try
            {
                Slot<TBody>.Body = body;
                Publish(Slot<TBody>.Run, chunkCount, oneEach: false);

                t_isWorker = true; // a kernel called from inside a chunk runs serially
                try { RunChunks(-1); }
                finally { t_isWorker = false; }

                var failure = AwaitWorkers();
                Slot<TBody>.Body = default;
                if (failure is not null) throw new AggregateException("a parallel kernel chunk failed", failure);
                return true;
            }
            finally
            {
                Monitor.Exit(_dispatchLock);
            }
        }

        /// <summary>A cooperative dispatch: the caller runs party 0, each worker takes at most one other party.</summary>
        public bool TryRunTogether<TBody>(int parties, in TBody body) where TBody : struct, IPartyBody
        {
            if (parties - 1 > _threads.Length || !Monitor.TryEnter(_dispatchLock)) return false;
            try
            {
                var barrier = _barriers[parties] ??= new PartyBarrier(parties);
                barrier.Reset();
                _activeBarrier = barrier;
                PartySlot<TBody>.Body = body;
                PartySlot<TBody>.Parties = parties;
                PartySlot<TBody>.Barrier = barrier;
                Publish(PartySlot<TBody>.Run, parties, oneEach: true);

                t_isWorker = true;
                try { PartySlot<TBody>.Run(0); }
                catch (Exception e) { Interlocked.CompareExchange(ref _failure, e, null); barrier.Break(); }
                finally { t_isWorker = false; }

                var failure = AwaitWorkers();
                PartySlot<TBody>.Body = default;
                PartySlot<TBody>.Barrier = null;
                _activeBarrier = null;
                if (failure is not null) throw new AggregateException("a cooperative kernel party failed", failure);
                return true;
            }
            finally
            {
                Monitor.Exit(_dispatchLock);
            }
        }

        /// <summary>Hands <paramref name="work"/> to the workers and wakes the sleeping ones. A cooperative caller runs
        /// party 0 itself, so the workers' chunks start at 1.</summary>
        private void Publish(Action<int> work, int chunkCount, bool oneEach)
        {
            _work = work;
            _chunkCount = chunkCount;
            _oneEach = oneEach;
            _failure = null;
            Volatile.Write(ref _nextChunk, oneEach ? 1 : 0);
            Volatile.Write(ref _pending, _threads.Length);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_sleepLock) Monitor.PulseAll(_sleepLock);
        }

        /// <summary>Waits until every worker has left the loop in flight; returns the first failure of any chunk.</summary>
        private Exception? AwaitWorkers()
        {
            var wait = new ShortWait();
            while (Volatile.Read(ref _pending) > 0) wait.Spin();
            _work = null;
            return _failure;
        }

        /// <summary>Runs chunks of the loop in flight: the next free ones (the caller, <paramref name="worker"/> −1, and
        /// workers of a plain loop), or for a cooperative loop worker w's own party w + 1, so that party i runs on the same
        /// thread at every call and keeps its data in that core's caches.</summary>
        private void RunChunks(int worker)
        {
            var work = _work!;
            int count = _chunkCount;
            if (_oneEach)
            {
                if (worker >= 0 && worker + 1 < count) RunChunk(work, worker + 1);
                return;
            }
            while (true)
            {
                int chunk = Interlocked.Increment(ref _nextChunk) - 1;
                if (chunk >= count) return;
                RunChunk(work, chunk);
            }
        }

        private void RunChunk(Action<int> work, int chunk)
        {
            try { work(chunk); }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                if (_oneEach) _activeBarrier?.Break(); // the parties waiting for this one stop waiting
            }
        }

        private void WorkerLoop(int worker)
        {
            t_isWorker = true;
            // The pool's first generation is 0. Reading _generation here instead would let a worker that starts
            // after the first dispatch was published take that dispatch for "already seen": it would never run
            // it, never decrement _pending, and the dispatcher would spin forever (seen in tests that set
            // Threads and dispatch at once).
            int seen = 0;
            while (!_disposed)
            {
                var wait = new ShortWait();
                while (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    if (wait.Pause()) continue; // then sleep: a worker sleeps rather than yields
                    lock (_sleepLock)
                    {
                        Interlocked.Increment(ref _sleepers);
                        while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_sleepLock);
                        Interlocked.Decrement(ref _sleepers);
                    }
                }
                if (_disposed) return;
                seen = Volatile.Read(ref _generation);
                RunChunks(worker);
                Interlocked.Decrement(ref _pending);
            }
        }

        public void Dispose()
        {
            _disposed = true;
            lock (_sleepLock) Monitor.PulseAll(_sleepLock);
        }
    }
}

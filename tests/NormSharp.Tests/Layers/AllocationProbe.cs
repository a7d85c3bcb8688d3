namespace NormSharp.Tests.Layers;

/// <summary>Measures managed allocation of a warmed-up action. The counter is process-wide, so the least of
/// a few windows is taken: a stray allocation by the test host lands in one window, not in all of them.</summary>
/// <remarks>With <c>stopAtZero</c>, measuring ends at the first clean window, so more windows can be allowed
/// cheaply: background threads (the JIT's tier-up of a model's many methods, the test host) were seen
/// allocating ~170 bytes in several consecutive windows of a whole training step.</remarks>
public static class AllocationProbe
{
    public static long LeastBytes(Action step, int warmUp = 3, int windows = 3, int stepsPerWindow = 10, bool stopAtZero = false)
    {
        for (int i = 0; i < warmUp; i++) step();
        long least = long.MaxValue;
        for (int w = 0; w < windows && !(stopAtZero && least == 0); w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < stepsPerWindow; i++) step();
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        return least;
    }

    /// <summary>Bytes <paramref name="body"/> allocates on the calling thread, the least of up to
    /// <paramref name="windows"/> runs (stopping at the first clean one). The thread's own counter sees nothing of the
    /// test host, but the runtime itself may allocate once on it in the middle of a steady state (a method's tier-up
    /// was seen to cost ~2 KB in one window of a Dense forward/backward in a clean-clone CI run).</summary>
    public static long LeastThreadBytes(Action body, int windows = 3)
    {
        long least = long.MaxValue;
        for (int w = 0; w < windows && least > 0; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            body();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}

using NormSharp.Kernels;

namespace NormSharp.Tests.Layers;

/// <summary>Measures managed allocation of a warmed-up action: the bytes the calling thread and NormSharp's kernel
/// workers allocate (<see cref="ParallelRunner.AllocatedBytesOfKernelThreads"/>), the least of a few windows.</summary>
/// <remarks>The process-wide counter, used before, also counted the test host's and the runtime's background threads:
/// one of them allocated 168 bytes in every window of an inference test at batch 500 on Zen 3 (2026-12-02), none of
/// them NormSharp's. The process-wide counter is still the fallback for a window in which the pool was busy; the least
/// of several windows covers a stray allocation of the runtime on the kernel threads themselves (a tier-up).</remarks>
public static class AllocationProbe
{
    public static long LeastBytes(Action step, int warmUp = 3, int windows = 3, int stepsPerWindow = 10, bool stopAtZero = false)
    {
        for (int i = 0; i < warmUp; i++) step();
        ParallelRunner.AllocatedBytesOfKernelThreads(); // its own first call at a thread count allocates its buffer
        long least = long.MaxValue;
        for (int w = 0; w < windows && !(stopAtZero && least == 0); w++)
        {
            long? kernelBefore = ParallelRunner.AllocatedBytesOfKernelThreads();
            long processBefore = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < stepsPerWindow; i++) step();
            long processBytes = GC.GetTotalAllocatedBytes(precise: true) - processBefore;
            long? kernelAfter = kernelBefore is null ? null : ParallelRunner.AllocatedBytesOfKernelThreads();
            least = Math.Min(least, kernelAfter is { } after ? after - kernelBefore!.Value : processBytes);
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

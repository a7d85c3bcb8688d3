namespace NormSharp.Tests.Kernels;

/// <summary>
/// Kernel and layer tests that set <c>ParallelRunner.Threads</c> or measure process-wide allocation:
/// xunit runs this collection alone, so no other test changes the thread count under them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelSerialCollection
{
    public const string Name = "Serial kernels (thread count, allocation)";

    /// <summary>Runs <paramref name="body"/> with <c>ParallelRunner.Threads</c> = <paramref name="threads"/>, then restores it.</summary>
    public static void WithThreads(int threads, Action body)
    {
        int saved = NormSharp.Kernels.ParallelRunner.Threads;
        NormSharp.Kernels.ParallelRunner.Threads = threads;
        try { body(); }
        finally { NormSharp.Kernels.ParallelRunner.Threads = saved; }
    }
}

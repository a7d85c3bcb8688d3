using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="ParallelRunner.AllocatedBytesOfKernelThreads"/>, the counter of the zero-allocation tests: it sees
/// what a worker allocates (a thread-local counter on the caller would not) and allocates nothing itself.</summary>
[Collection(KernelSerialCollection.Name)]
public class ParallelRunnerAllocationTests
{
    /// <summary>Party 1, always on a worker, allocates; party 0, the caller, does not.</summary>
    private readonly struct WorkerAllocates(object?[] keep) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            if (party == 1) keep[0] = new byte[10_000];
        }
    }

    [Fact]
    public void CountsTheWorkersAndNotItself() => KernelSerialCollection.WithThreads(2, () =>
    {
        var keep = new object?[1];
        ParallelRunner.AllocatedBytesOfKernelThreads();
        long before = ParallelRunner.AllocatedBytesOfKernelThreads()!.Value;
        long idle = ParallelRunner.AllocatedBytesOfKernelThreads()!.Value - before;
        ParallelRunner.Together(2, new WorkerAllocates(keep));
        long after = ParallelRunner.AllocatedBytesOfKernelThreads()!.Value;
        Assert.NotNull(keep[0]);
        Assert.Equal(0, idle);
        Assert.InRange(after - before, 10_000, 11_000);
    });

    [Fact]
    public void OneThreadCountsTheCaller() => KernelSerialCollection.WithThreads(1, () =>
    {
        ParallelRunner.AllocatedBytesOfKernelThreads();
        long before = ParallelRunner.AllocatedBytesOfKernelThreads()!.Value;
        var kept = new byte[5_000];
        long after = ParallelRunner.AllocatedBytesOfKernelThreads()!.Value;
        GC.KeepAlive(kept);
        Assert.InRange(after - before, 5_000, 5_200);
    });
}

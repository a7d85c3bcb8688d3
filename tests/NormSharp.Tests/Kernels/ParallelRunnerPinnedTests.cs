using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="ParallelRunner.ForPinned"/>: every chunk runs once per call, chunk i on the same thread at every
/// call (chunk 0 on the caller); more chunks than threads, one thread, or a call from inside a chunk still run every
/// chunk once.</summary>
[Collection(KernelSerialCollection.Name)]
public class ParallelRunnerPinnedTests
{
    private readonly struct RecordBody(int[] runs, int[] threadIds) : IChunkBody
    {
        public void Execute(int chunk)
        {
            Interlocked.Increment(ref runs[chunk]);
            threadIds[chunk] = Environment.CurrentManagedThreadId;
        }
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(3, 2)]
    public void ChunkIRunsOnTheSameThreadAtEveryCall(int threads, int chunks) => KernelSerialCollection.WithThreads(threads, () =>
    {
        int[]? first = null;
        for (int call = 0; call < 50; call++)
        {
            int[] runs = new int[chunks], ids = new int[chunks];
            ParallelRunner.ForPinned(chunks, new RecordBody(runs, ids));
            Assert.All(runs, r => Assert.Equal(1, r));
            Assert.Equal(Environment.CurrentManagedThreadId, ids[0]);
            Assert.Equal(chunks, ids.Distinct().Count());
            first ??= ids;
            Assert.Equal(first, ids);
        }
    });

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 5)]
    [InlineData(2, 1)]
    [InlineData(2, 0)]
    public void OtherCountsRunEveryChunkOnce(int threads, int chunks) => KernelSerialCollection.WithThreads(threads, () =>
    {
        int[] runs = new int[chunks], ids = new int[chunks];
        ParallelRunner.ForPinned(chunks, new RecordBody(runs, ids));
        Assert.All(runs, r => Assert.Equal(1, r));
    });

    private readonly struct NestedBody(int[] runs) : IChunkBody
    {
        public void Execute(int chunk) => ParallelRunner.ForPinned(2, new RecordBody(runs, new int[2]));
    }

    [Fact]
    public void ACallFromInsideAChunkRunsItsChunksThere() => KernelSerialCollection.WithThreads(2, () =>
    {
        int[] runs = new int[2];
        ParallelRunner.For(2, new NestedBody(runs));
        Assert.All(runs, r => Assert.Equal(2, r)); // two outer chunks, each running both inner chunks
    });
}

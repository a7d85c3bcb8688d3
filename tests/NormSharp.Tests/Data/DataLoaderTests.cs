using NormSharp.Data;
using NormSharp.Tests.Training;

namespace NormSharp.Tests.Data;

public class DataLoaderTests
{
    private static InMemoryDataset Indexed(int n)
    {
        var x = new Tensor(n, 3);
        var y = new Tensor(n);
        for (int i = 0; i < n; i++) { x[i, 0] = i; x[i, 1] = i + 0.5f; x[i, 2] = -i; y[i] = i; }
        return new InMemoryDataset("indexed", x, y);
    }

    private static List<int> Epoch(DataLoader loader, List<int>? sizes = null)
    {
        var seen = new List<int>();
        loader.StartEpoch();
        while (loader.TryNextBatch(out var x, out var y))
        {
            sizes?.Add(x.Dim(0));
            for (int r = 0; r < x.Dim(0); r++)
            {
                Assert.Equal(y[r], x[r, 0]); // features and targets stay paired
                Assert.Equal(x[r, 0] + 0.5f, x[r, 1]);
                seen.Add((int)y[r]);
            }
        }
        return seen;
    }

    [Theory]
    [InlineData(103, 10)]
    [InlineData(100, 10)]
    [InlineData(7, 64)]
    public void EveryExampleExactlyOncePerEpoch(int n, int batch)
    {
        var loader = new DataLoader(Indexed(n), batch, shuffle: true, seed: 4);
        var sizes = new List<int>();
        var first = Epoch(loader, sizes);
        Assert.Equal(Enumerable.Range(0, n), first.Order());
        Assert.Equal(loader.BatchesPerEpoch, sizes.Count);
        var second = Epoch(loader);
        Assert.Equal(Enumerable.Range(0, n), second.Order());
        if (n > 10) Assert.NotEqual(first, second); // reshuffled each epoch
    }

    [Fact]
    public void SameSeedSameOrder()
    {
        Assert.Equal(Epoch(new DataLoader(Indexed(50), 8, seed: 21)), Epoch(new DataLoader(Indexed(50), 8, seed: 21)));
        Assert.NotEqual(Epoch(new DataLoader(Indexed(50), 8, seed: 21)), Epoch(new DataLoader(Indexed(50), 8, seed: 22)));
        Assert.Equal(Enumerable.Range(0, 50), Epoch(new DataLoader(Indexed(50), 8, shuffle: false)));
    }

    [Fact]
    public void DropLastSkipsTheShortBatch()
    {
        var sizes = new List<int>();
        var loader = new DataLoader(Indexed(103), 10, seed: 1, dropLast: true);
        var seen = Epoch(loader, sizes);
        Assert.Equal(10, sizes.Count);
        Assert.All(sizes, s => Assert.Equal(10, s));
        Assert.Equal(100, seen.Distinct().Count());
        Assert.Equal(10, loader.BatchesPerEpoch);
    }
}

[Collection(SerialCollection.Name)]
public class DataLoaderAllocationTests
{
    [Fact]
    public void BatchesAllocateNothingOnceTheBuffersExist()
    {
        var data = SyntheticData.Blobs(1000, classes: 4, features: 16, seed: 3);
        var loader = new DataLoader(data, 64, seed: 2);
        // Warm-up creates the full-size and the short last-batch buffers; then take the least of three
        // windows, so that one-off runtime work (tiered JIT, OSR) on this thread cannot fail the test.
        long least = long.MaxValue;
        for (int window = 0; window < 4; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int batches = 0;
            for (int epoch = 0; epoch < 3; epoch++)
            {
                loader.StartEpoch();
                while (loader.TryNextBatch(out _, out _)) batches++;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before; // read before any assertion allocates
            Assert.Equal(3 * 16, batches);
            if (window > 0) least = Math.Min(least, allocated);
        }
        Assert.Equal(0, least);
    }
}

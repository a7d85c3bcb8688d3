using NormSharp.Kernels;

namespace NormSharp.Tests.Normalization;

/// <summary>Chan's parallel merge: statistics of shards combine into the statistics of the whole batch.</summary>
public class BatchNormStatisticsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void MergedShardsEqualTheWholeBatch(int spatial)
    {
        const int c = 5;
        int[] shardSizes = [3, 1, 8, 5];
        int n = shardSizes.Sum();
        var x = BatchNormKernelTests.RandomArray(n * c * spatial, 42, offset: 5f, scale: 3f);
        var whole = new BatchNormStatistics(c);
        whole.Compute(x, n, spatial);

        var merged = new BatchNormStatistics(c);
        var shard = new BatchNormStatistics(c);
        int start = 0;
        foreach (int size in shardSizes)
        {
            shard.Compute(x.AsSpan(start * c * spatial, size * c * spatial), size, spatial);
            merged.Merge(shard);
            start += size;
        }
        Assert.Equal(whole.Count, merged.Count);
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(whole.Mean[i], merged.Mean[i], 1e-12);
            Assert.Equal(whole.M2[i], merged.M2[i], 1e-9);
            Assert.Equal(whole.BiasedVariance(i), merged.BiasedVariance(i), 1e-11);
            Assert.Equal(whole.M2[i] / (whole.Count - 1), merged.UnbiasedVariance(i), 1e-11);
        }
    }

    [Fact]
    public void MergingIntoEmptyCopiesAndEmptyIsNeutral()
    {
        var a = new BatchNormStatistics(2);
        a.Set(4, [1.0, 2.0], [3.0, 4.0]);
        var empty = new BatchNormStatistics(2);
        a.Merge(empty);
        Assert.Equal(4, a.Count);
        Assert.Equal(1.0, a.Mean[0]);
        empty.Merge(a);
        Assert.Equal(4, empty.Count);
        Assert.Equal(4.0, empty.M2[1]);
        Assert.Throws<ArgumentException>(() => a.Merge(new BatchNormStatistics(3)));
    }
}

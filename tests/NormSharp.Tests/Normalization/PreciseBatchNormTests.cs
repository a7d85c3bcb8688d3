using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>Precise BN sets running statistics to the exact population statistics over K batches.</summary>
public class PreciseBatchNormTests
{
    [Fact]
    public void RunningStatisticsBecomeThePopulationStatistics()
    {
        const int c = 3, k = 4;
        var model = new Sequential(new BatchNorm1d(c, momentum: 0.01f), new BatchNorm1d(c));
        int[] sizes = [5, 8, 3, 6];
        var batches = sizes.Select((n, i) => Tensor.FromArray(BatchNormKernelTests.RandomArray(n * c, (ulong)(70 + i), offset: i, scale: 1 + i), n, c)).ToList();
        model.Eval();
        var first = (BatchNorm1d)model[0];
        var second = (BatchNorm1d)model[1];
        second.WeightParameter!.Value.Fill(2f);

        Assert.Equal(k, PreciseBatchNorm.Recalibrate(model, batches));

        // Layer 0 sees the raw batches: its statistics are those of their concatenation.
        var all = batches.SelectMany(b => b.ToArray()).ToArray();
        int total = sizes.Sum();
        var (mean, variance) = PaperBatchNorm.Moments(all, total, c, 1);
        BatchNormLayerTests.AssertClose(mean, first.RunningMean!.Span, 1e-5, 1e-6, "population mean");
        BatchNormLayerTests.AssertClose(variance.Select(v => v * total / (total - 1)).ToArray(), first.RunningVar!.Span, 1e-5, 1e-6, "population var");
        // Layer 1 sees layer 0's training-mode outputs: each batch normalised to mean 0, biased variance ≈ 1.
        for (int ch = 0; ch < c; ch++) Assert.Equal(0.0, second.RunningMean!.Span[ch], 1e-5);
        Assert.False(model.Training);
        Assert.False(first.Training);
        Assert.Equal(0f, first.NumBatchesTracked!.Span[0]);
    }

    [Fact]
    public void GhostAndRenormLayersAlsoGetPopulationStatistics()
    {
        var ghost = new GhostBatchNorm1d(2, virtualBatchSize: 2);
        var renorm = new BatchRenorm1d(2);
        var model = new Sequential(ghost, new Sequential(renorm));
        renorm.RenormStd.Fill(3f);
        var batches = new[] { 4, 6 }.Select((n, i) => Tensor.FromArray(BatchNormKernelTests.RandomArray(n * 2, (ulong)(90 + i), offset: 1f), n, 2)).ToList();
        PreciseBatchNorm.Recalibrate(model, batches);
        var all = batches.SelectMany(b => b.ToArray()).ToArray();
        var (mean, variance) = PaperBatchNorm.Moments(all, 10, 2, 1);
        BatchNormLayerTests.AssertClose(mean, ghost.RunningMean!.Span, 1e-5, 1e-6, "ghost mean");
        BatchNormLayerTests.AssertClose(variance.Select(v => v * 10 / 9).ToArray(), ghost.RunningVar!.Span, 1e-5, 1e-6, "ghost var");
        Assert.Equal([3f, 3f], renorm.RenormStd.ToArray()); // renorm state untouched
        Assert.Equal(0f, renorm.RenormSteps.Span[0]);
        Assert.True(model.Training);
    }

    [Fact]
    public void NeedsABatch()
    {
        var model = new Sequential(new BatchNorm1d(2));
        Assert.Throws<ArgumentException>(() => PreciseBatchNorm.Recalibrate(model, []));
        Assert.True(model.Training);
    }
}

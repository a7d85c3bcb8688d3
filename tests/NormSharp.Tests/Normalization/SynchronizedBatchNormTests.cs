using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>Synchronized BN is a reduction: a layer that sees one shard of a batch, with a synchronizer
/// that merges in the other shard's partials, reproduces whole-batch BN on its rows.</summary>
public class SynchronizedBatchNormTests
{
    /// <summary>Plays the other process: it holds shard B and answers the two collectives.</summary>
    private sealed class OtherShard(float[] x, float[] dy, int n, int c, int spatial) : IBatchNormSynchronizer
    {
        private float[] _globalMean = [];

        public void SynchronizeStatistics(BatchNormStatistics statistics)
        {
            var other = new BatchNormStatistics(c);
            other.Compute(x, n, spatial);
            statistics.Merge(other);
            _globalMean = new float[c];
            for (int i = 0; i < c; i++) _globalMean[i] = (float)statistics.Mean[i];
        }

        public void SynchronizeGradientSums(Span<double> sumDy, Span<double> sumDyXmu)
        {
            var (g, p) = (new double[c], new double[c]);
            BatchNorm.BackwardReduce(x, dy, n, c, spatial, _globalMean, g, p);
            for (int i = 0; i < c; i++)
            {
                sumDy[i] += g[i];
                sumDyXmu[i] += p[i];
            }
        }
    }

    [Theory]
    [InlineData(new[] { 5, 3 }, 2)]
    [InlineData(new[] { 4, 2, 3, 3 }, 1)]
    [InlineData(new[] { 2, 3 }, 1)] // one sample per process: legal when synchronized
    public void ShardPlusSynchronizerEqualsWholeBatch(int[] shape, int shardA)
    {
        int n = shape[0], c = shape[1], s = shape.Length == 4 ? shape[2] * shape[3] : 1, row = c * s;
        var x = BatchNormKernelTests.RandomArray(n * row, 1, offset: 1f, scale: 2f);
        var dy = BatchNormKernelTests.RandomArray(n * row, 2);
        BatchNormBase Make() => shape.Length == 4 ? new BatchNorm2d(c) : new BatchNorm1d(c);
        var whole = Make();
        var local = Make();
        BatchNormGradientTests.RandomiseAffine(whole);
        BatchNormGradientTests.RandomiseAffine(local);
        int[] shapeA = [shardA, .. shape[1..]];
        local.Synchronizer = new OtherShard(x[(shardA * row)..], dy[(shardA * row)..], n - shardA, c, s);

        var yWhole = whole.Forward(Tensor.FromArray(x, shape)).ToArray();
        var yLocal = local.Forward(Tensor.FromArray(x[..(shardA * row)], shapeA)).ToArray();
        BatchNormKernelTests.AssertClose(yWhole.AsSpan(0, shardA * row), yLocal, 1e-6, 1e-6, "y");
        BatchNormKernelTests.AssertClose(whole.RunningVar!.Span, local.RunningVar!.Span, 1e-6, 1e-7, "running_var");

        var dxWhole = whole.Backward(Tensor.FromArray(dy, shape)).ToArray();
        var dxLocal = local.Backward(Tensor.FromArray(dy[..(shardA * row)], shapeA)).ToArray();
        BatchNormKernelTests.AssertClose(dxWhole.AsSpan(0, shardA * row), dxLocal, 1e-5, 1e-6, "dx");
    }
}

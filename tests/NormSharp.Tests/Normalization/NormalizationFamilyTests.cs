using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>LayerNorm's kernels against their reference; argument checks, defaults and state names of
/// LayerNorm, GroupNorm and InstanceNorm.</summary>
public class NormalizationFamilyTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(7, 8)]
    [InlineData(4, 33)]
    [InlineData(130, 301)]
    public void LayerNormKernelsMatchTheReference(int rows, int width)
    {
        var x = BatchNormKernelTests.RandomArray(rows * width, 1, offset: 1f, scale: 2f);
        var dy = BatchNormKernelTests.RandomArray(rows * width, 2);
        var gamma = BatchNormKernelTests.RandomArray(width, 3, offset: 1f);
        var beta = BatchNormKernelTests.RandomArray(width, 4);
        var (y, ry) = (new float[x.Length], new float[x.Length]);
        var (rMean, rInvstd) = (new double[rows], new double[rows]);
        LayerNormReference.Forward(x, rows, width, gamma, beta, 1e-5, ry, rMean, rInvstd);
        var mean = Array.ConvertAll(rMean, v => (float)v);
        var invstd = Array.ConvertAll(rInvstd, v => (float)v);
        LayerNormKernel.Apply(x, rows, width, mean, invstd, gamma, beta, y);
        BatchNormKernelTests.AssertClose(ry, y, 1e-5, 1e-5, "y");

        var (dx, rdx) = (new float[x.Length], new float[x.Length]);
        var (dGamma, dBeta, rdGamma, rdBeta) = (new float[width], new float[width], new double[width], new double[width]);
        LayerNormReference.Backward(x, dy, rows, width, gamma, rMean, rInvstd, rdx, rdGamma, rdBeta);
        LayerNormKernel.BackwardInput(x, dy, rows, width, mean, invstd, gamma, dx);
        LayerNormKernel.BackwardParameters(x, dy, rows, width, mean, invstd, dGamma, dBeta);
        BatchNormKernelTests.AssertClose(rdx, dx, 1e-4, 1e-5, "dx");
        BatchNormLayerTests.AssertClose(rdGamma, dGamma, 1e-5, 1e-5, "dgamma");
        BatchNormLayerTests.AssertClose(rdBeta, dBeta, 1e-5, 1e-5, "dbeta");
    }

    [Fact]
    public void LayerNormChecksTheTrailingShape()
    {
        var ln = new LayerNorm([3, 4]);
        Assert.Equal(["weight", "bias"], ln.StateDict().Keys);
        Assert.Equal([3, 4], ln.WeightParameter!.Value.Shape);
        var ex = Assert.Throws<ArgumentException>(() => ln.Forward(Tensor.Zeros(2, 4, 3)));
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Empty(new LayerNorm([5], elementwiseAffine: false).StateDict());
        // Training and eval compute the same thing.
        var x = Tensor.FromArray(BatchNormKernelTests.RandomArray(24, 9), 2, 3, 4);
        var train = ln.Forward(x).ToArray();
        ln.Eval();
        Assert.Equal(train, ln.Forward(x).ToArray());
    }

    [Fact]
    public void GroupNormChecksItsArguments()
    {
        Assert.Throws<ArgumentException>(() => new GroupNorm(4, 6));
        var gn = new GroupNorm(2, 4);
        Assert.Equal((2, 4, 1e-5f, true), (gn.NumGroups, gn.NumChannels, gn.Eps, gn.Affine));
        Assert.Equal(["weight", "bias"], gn.StateDict().Keys);
        Assert.Throws<ArgumentException>(() => gn.Forward(Tensor.Zeros(2, 3, 2)));
        // Batch size 1 works: GroupNorm's statistics do not involve the batch.
        gn.Forward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4));
    }

    [Fact]
    public void InstanceNormFollowsPyTorchDefaults()
    {
        var inorm = new InstanceNorm2d(3);
        Assert.Equal((3, 1e-5f, (float?)0.1f, false, false), (inorm.NumFeatures, inorm.Eps, inorm.Momentum, inorm.Affine, inorm.TrackRunningStats));
        Assert.Empty(inorm.StateDict());
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"],
            new InstanceNorm1d(2, affine: true, trackRunningStats: true).StateDict().Keys);
        var ex = Assert.Throws<InvalidOperationException>(() => new InstanceNorm1d(3).Forward(Tensor.Zeros(2, 3, 1)));
        Assert.Equal("Expected more than 1 spatial element when training, got input size [2, 3, 1]", ex.Message);
        // Unbatched input [C, L] is one sample, as in PyTorch.
        var x = BatchNormKernelTests.RandomArray(12, 4);
        var unbatched = new InstanceNorm1d(3).Forward(Tensor.FromArray(x, 3, 4)).ToArray();
        var batched = new InstanceNorm1d(3).Forward(Tensor.FromArray(x, 1, 3, 4)).ToArray();
        Assert.Equal(batched, unbatched);
    }
}

using NormSharp.Layers;
using NormSharp.Tests.Kernels;

namespace NormSharp.Tests.Layers;

/// <summary><see cref="Sequential"/>'s Dense → ReLU fusion (bias and ReLU in the GEMM's epilogue): the output, the
/// parameter gradients and the input gradient are bit for bit those of the layers run one by one, for batches and
/// single rows, with and without bias, in training and eval mode, directly and across an Identity (a folded BN); the fused pair still passes finite differences.</summary>
[Collection(KernelSerialCollection.Name)]
public class SequentialFusionTests
{
    [Theory]
    [InlineData(64, true, 1)]
    [InlineData(64, false, 2)]
    [InlineData(1, true, 1)]
    [InlineData(1, false, 2)]
    [InlineData(301, true, 2)]
    public void FusedDenseReluGivesTheBitsOfTheLayersRunOneByOne(int batch, bool bias, int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        foreach (bool training in new[] { true, false })
        {
            var fused = Net(bias);
            var plain = Net(bias);
            fused.Train(training);
            plain.Train(training);
            var x = GradientCheck.Random(new Rng(5), [batch, 37]);
            var dy = GradientCheck.Random(new Rng(6), [batch, 10]);

            FusionAssert.SameStep(fused, plain, x, dy);
        }
    });

    [Fact]
    public void FusedPairPassesFiniteDifferences()
    {
        var net = new Sequential(new Dense(6, 5, rng: new Rng(2)), new ReLU(), new Dense(5, 3, rng: new Rng(3)));
        GradientCheck.Check(net, GradientCheck.Random(new Rng(4), [4, 6]), h: 1e-3); // a small step: no ReLU kink inside it
    }

    [Fact]
    public void ReluAfterAFusedStepStillRunsOnItsOwn()
    {
        // The ReLU adopted the Dense output on the fused step; called directly afterwards it computes its own again.
        var net = Net(bias: true);
        var x = GradientCheck.Random(new Rng(7), [8, 37]);
        net.Forward(x);
        var z = GradientCheck.Random(new Rng(8), [8, 24]);
        var relu = (ReLU)net[1];
        var y = relu.Forward(z);
        Assert.Equal(z.ToArray().Select(v => Math.Max(v, 0f)).ToArray(), y.ToArray());
        var dx = relu.Backward(Tensor.FromArray(Enumerable.Repeat(1f, 8 * 24).ToArray(), 8, 24));
        Assert.Equal(z.ToArray().Select(v => v > 0 ? 1f : 0f).ToArray(), dx.ToArray());
    }

    // The second pair has an Identity between Dense and ReLU, as a folded BN leaves it.
    private static Sequential Net(bool bias) => new(
        new Dense(37, 24, bias, new Rng(1)), new ReLU(), new Dense(24, 16, bias, new Rng(2)), new Identity(), new ReLU(), new Dense(16, 10, bias, new Rng(3)));
}

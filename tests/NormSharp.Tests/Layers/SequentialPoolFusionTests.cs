using NormSharp.Layers;
using NormSharp.Tests.Kernels;

namespace NormSharp.Tests.Layers;

/// <summary><see cref="Sequential"/>'s activation → average pooling backward fusion (LeNet's sigmoid → pool): the
/// output, the input gradient and every parameter gradient are bit for bit those of the layers run one by one, with the
/// activation computed on its own or adopted from a BatchNorm, on 2×2 windows and on overlapping ones; the fused pair
/// still passes finite differences.</summary>
[Collection(KernelSerialCollection.Name)]
public class SequentialPoolFusionTests
{
    [Theory]
    [InlineData("sigmoid", 2, 2, 12, 1)]
    [InlineData("sigmoid", 2, 2, 12, 2)]
    [InlineData("relu", 2, 2, 12, 2)]
    [InlineData("sigmoid", 2, 2, 7, 2)]  // odd planes: the last row and column lie in no window
    [InlineData("sigmoid", 3, 2, 9, 2)]  // overlapping windows
    public void FusedBackwardGivesTheBitsOfTheLayersRunOneByOne(string activation, int k, int s, int size, int threads) =>
        KernelSerialCollection.WithThreads(threads, () =>
        {
            foreach (bool batchNorm in new[] { false, true })
            {
                var fused = Net(activation, k, s, size, batchNorm);
                var plain = Net(activation, k, s, size, batchNorm);
                var x = GradientCheck.Random(new Rng(5), [6, 2, size, size]);
                var dy = GradientCheck.Random(new Rng(6), [6, 4]);
                FusionAssert.SameStep(fused, plain, x, dy);
            }
        });

    [Fact]
    public void FusedPairPassesFiniteDifferences()
    {
        var net = new Sequential(new Conv2d(1, 2, 3, padding: 1, rng: new Rng(2)), new Sigmoid(), new AvgPool2d(2), new Flatten(),
            new Dense(8, 3, rng: new Rng(3)));
        GradientCheck.Check(net, GradientCheck.Random(new Rng(4), [2, 1, 4, 4]));
    }

    [Fact]
    public void ActivationFirstWithoutInputGradientRunsUnfused()
    {
        // The pair is the whole container and no input gradient is wanted: the activation returns none, as unfused.
        var net = new Sequential(new Sigmoid(), new AvgPool2d(2)) { NeedsInputGradient = false };
        net.Forward(GradientCheck.Random(new Rng(7), [1, 1, 4, 4]));
        Assert.Equal(0, net.Backward(GradientCheck.Random(new Rng(8), [1, 1, 2, 2])).Size);
    }

    private static Sequential Net(string activation, int k, int s, int size, bool batchNorm)
    {
        var layers = new List<Module> { new Conv2d(2, 3, 3, padding: 1, rng: new Rng(1)) };
        if (batchNorm) layers.Add(new BatchNorm2d(3));
        layers.Add(activation == "relu" ? new ReLU() : new Sigmoid());
        var pool = new AvgPool2d(k, s);
        layers.Add(pool);
        layers.Add(new Flatten());
        int features = 3 * pool.OutputShape([1, 3, size, size])[2] * pool.OutputShape([1, 3, size, size])[3];
        layers.Add(new Dense(features, 4, rng: new Rng(2)));
        return new Sequential([.. layers]);
    }
}

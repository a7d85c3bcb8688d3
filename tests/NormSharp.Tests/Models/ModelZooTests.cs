using NormSharp.Layers;
using NormSharp.Models;

namespace NormSharp.Tests.Models;

public class ModelZooTests
{
    [Fact]
    public void SevenLayerMlpWithBatchNormHasTorchSequentialKeysAndShapes()
    {
        var mlp = ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10,
            new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) });
        Assert.Equal(7 * 3 + 1, mlp.Count);
        var keys = mlp.StateDict().Keys.ToList();
        Assert.Equal(["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"], keys[..6]);
        Assert.Equal(["21.weight", "21.bias"], keys[^2..]);
        Assert.Equal([500, 10], mlp.OutputShape([500, 784]));
        Assert.IsType<ReLU>(mlp[2]);
    }

    [Fact]
    public void LeNetMatchesD2lParameterCount()
    {
        // d2l's LeNet without BN: 61,706 parameters (conv 156 + 2,416, dense 48,120 + 10,164 + 850).
        var lenet = ModelZoo.LeNet(options: new ModelOptions { Activation = "sigmoid", Rng = new Rng(2) });
        Assert.Equal(61_706, lenet.NamedParameters().Sum(p => p.Parameter.Value.Size));
        Assert.Equal([3, 10], lenet.OutputShape([3, 1, 28, 28]));
        var bn = ModelZoo.LeNet(options: new ModelOptions { Activation = "sigmoid", Normalization = NormalizationKind.BatchNorm });
        Assert.Equal([3, 10], bn.Forward(new Tensor(3, 1, 28, 28)).Shape);
    }

    [Fact]
    public void UnknownActivationListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Mlp(4, [3], 2, new ModelOptions { Activation = "swish2" }));
        Assert.Contains("relu", e.Message);
    }
}

public class ModelZooNormalizationTests
{
    [Theory]
    [InlineData(NormalizationKind.BatchNorm, typeof(BatchNorm1d), typeof(BatchNorm2d), false)]
    [InlineData(NormalizationKind.BatchRenorm, typeof(BatchRenorm1d), typeof(BatchRenorm2d), false)]
    [InlineData(NormalizationKind.GhostBatchNorm, typeof(GhostBatchNorm1d), typeof(GhostBatchNorm2d), false)]
    [InlineData(NormalizationKind.GroupNorm, typeof(GroupNorm), typeof(GroupNorm), true)]
    [InlineData(NormalizationKind.LayerNorm, typeof(LayerNorm), typeof(LayerNorm), true)]
    public void EveryKindBuildsMlpAndLeNetThatRun(NormalizationKind kind, Type dense, Type conv, bool keepsBias)
    {
        var options = new ModelOptions { Normalization = kind, VirtualBatchSize = 2, Rng = new Rng(7) };
        var mlp = ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, options);
        Assert.Equal(7 * 3 + 1, mlp.Count);
        Assert.IsType(dense, mlp[1]);
        Assert.Equal(keepsBias, ((Dense)mlp[0]).Bias); // a BN-family layer cancels the bias before it
        var lenet = ModelZoo.LeNet(10, options with { Activation = "sigmoid" });
        Assert.IsType(conv, lenet[1]);
        Assert.IsType(dense, lenet[10]);
        Assert.Equal(keepsBias, ((Conv2d)lenet[0]).Bias);
        var x = Tensor.FromArray(Normalization.BatchNormKernelTests.RandomArray(4 * 784, 8), 4, 1, 28, 28);
        Assert.Equal([4, 10], lenet.Forward(x).Shape);
        Assert.Equal([4, 10], mlp.Forward(Tensor.FromArray(x.ToArray(), 4, 784)).Shape);
    }

    [Fact]
    public void LayerNormAfterAConvNormalisesEachSamplesWholeFeatureMap()
    {
        var lenet = ModelZoo.LeNet(10, new ModelOptions { Activation = "sigmoid", Normalization = NormalizationKind.LayerNorm });
        Assert.Equal([6, 28, 28], ((LayerNorm)lenet[1]).NormalizedShape);
        Assert.Equal([16, 10, 10], ((LayerNorm)lenet[5]).NormalizedShape);
    }

    [Theory]
    [InlineData(500, 25)]
    [InlineData(300, 30)]
    [InlineData(50, 10)]
    [InlineData(25, 5)]
    [InlineData(16, 4)]
    [InlineData(84, 21)]
    [InlineData(6, 1)]
    [InlineData(7, 1)]
    public void DefaultGroupsDivideTheChannelsWithAtLeastFourPerGroup(int channels, int groups)
    {
        Assert.Equal(groups, ModelZoo.DefaultGroups(channels));
        var options = new ModelOptions { Normalization = NormalizationKind.GroupNorm, GroupNormGroups = 2 };
        Assert.Equal(2, ((GroupNorm)ModelZoo.Mlp(4, [8], 2, options)[1]).NumGroups);
    }
}

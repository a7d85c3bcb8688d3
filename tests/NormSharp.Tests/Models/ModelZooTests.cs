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

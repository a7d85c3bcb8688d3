using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Serialization;

namespace NormSharp.Tests.Serialization;

/// <summary>Architecture JSON and ModelIO for the engine's newer layers: every activation, PReLU, RReLU,
/// Dropout and Residual (with nested Sequential bodies and shortcuts) round-trip with their arguments.</summary>
public class EngineArchitectureTests
{
    private static Sequential ResNetStyle()
    {
        var rng = new Rng(1);
        return new Sequential(
            new Conv2d(1, 4, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(4), new PReLU(4, 0.1f),
            new Residual(
                new Sequential(new Conv2d(4, 4, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(4), new ReLU(),
                    new Conv2d(4, 4, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(4))),
            new ReLU(),
            new Residual(
                new Sequential(new Conv2d(4, 6, 3, stride: 2, padding: 1, bias: false, rng: rng), new BatchNorm2d(6), new RReLU(0.1f, 0.2f)),
                new Sequential(new Conv2d(4, 6, 1, stride: 2, bias: false, rng: rng), new BatchNorm2d(6))),
            new LeakyReLU(0.2f), new ELU(0.5f), new SELU(), new Sigmoid(), new Tanh(),
            new MaxPool2d(2), new Flatten(), new Dropout(0.25f), new PReLU(), new Dense(6 * 2 * 2, 3, rng: rng));
    }

    [Fact]
    public void EveryNewLayerRoundTripsWithItsArguments()
    {
        var model = ResNetStyle();
        var json = ArchitectureJson.Serialize(model);
        var rebuilt = (Sequential)ArchitectureJson.Deserialize(json);
        Assert.Equal(json, ArchitectureJson.Serialize(rebuilt));

        var prelu = Assert.IsType<PReLU>(rebuilt[2]);
        Assert.Equal((4, 0.1f), (prelu.NumParameters, prelu.Init));
        var identity = Assert.IsType<Residual>(rebuilt[3]);
        Assert.Null(identity.Shortcut);
        Assert.Equal(5, Assert.IsType<Sequential>(identity.Body).Count);
        var projected = Assert.IsType<Residual>(rebuilt[5]);
        var rrelu = Assert.IsType<RReLU>(((Sequential)projected.Body)[2]);
        Assert.Equal((0.1f, 0.2f), (rrelu.Lower, rrelu.Upper));
        Assert.Equal(1, Assert.IsType<Conv2d>(((Sequential)projected.Shortcut!)[0]).KernelSize);
        Assert.Equal(0.2f, Assert.IsType<LeakyReLU>(rebuilt[6]).NegativeSlope);
        Assert.Equal(0.5f, Assert.IsType<ELU>(rebuilt[7]).Alpha);
        Assert.Equal(0.25f, Assert.IsType<Dropout>(rebuilt[13]).P);
        Assert.Equal(model.StateDict().Keys, rebuilt.StateDict().Keys);
        Assert.Contains("3.body.1.running_var", model.StateDict().Keys);
        Assert.Contains("5.shortcut.0.weight", model.StateDict().Keys);
        Assert.Contains("2.weight", model.StateDict().Keys);
    }

    [Fact]
    public void SavedResNetStyleModelPredictsIdenticallyAfterLoading()
    {
        using var dir = PersistenceModels.TempDir();
        var model = PersistenceModels.WithRandomBatchNormState(ResNetStyle());
        var x = GradientCheck.Random(new Rng(2), [2, 1, 8, 8]);
        var expected = PersistenceModels.Predict(model, x);
        string path = dir.File("resnet.safetensors");
        ModelIO.Save(model, path);
        var loaded = ModelIO.Load(path);
        Assert.Equal(expected, PersistenceModels.Predict(loaded, x));
    }

    [Theory]
    [InlineData("prelu")]
    [InlineData("rrelu")]
    public void ActivationFactoryKnowsTheLearnedAndRandomisedRectifiers(string name)
    {
        var layer = ActivationFactory.Create(name);
        Assert.Contains(name, ActivationFactory.Names);
        Assert.Equal(name == "prelu" ? typeof(PReLU) : typeof(RReLU), layer.GetType());
        var mlp = ModelZoo.Mlp(6, [5], 2, new ModelOptions { Activation = name, Rng = new Rng(3) });
        Assert.Equal([4, 2], mlp.Forward(new Tensor(4, 6)).Shape);
    }
}

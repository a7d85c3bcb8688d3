using NormSharp.Inference;
using NormSharp.Layers;
using NormSharp.Serialization;
using NormSharp.Tests.Serialization;

namespace NormSharp.Tests.Inference;

public sealed class BatchNormFoldingTests
{
    [Fact]
    public void FoldedMlpPredictsTheSame()
    {
        var model = PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn());
        var x = PersistenceModels.Input(3, 64, 20);
        var expected = PersistenceModels.Predict(model, x);

        var folded = BatchNormFolding.Fold(model, out var names);

        Assert.Equal(["1", "4"], names);
        Assert.False(folded.Training);
        Assert.DoesNotContain(folded.NamedModules(), m => m.Module is BatchNormBase);
        Relative.Close(expected, folded.Forward(x).ToArray(), "folded MLP");
    }

    [Fact]
    public void FoldedLeNetPredictsTheSame()
    {
        var model = PersistenceModels.WithRandomBatchNormState(PersistenceModels.LeNetBn());
        var x = PersistenceModels.Input(4, 8, 1, 28, 28);
        var expected = PersistenceModels.Predict(model, x);

        var folded = BatchNormFolding.Fold(model, out var names);

        Assert.Equal(["1", "5", "10", "13"], names);
        Relative.Close(expected, folded.Forward(x).ToArray(), "folded LeNet");
    }

    [Fact]
    public void FoldingLeavesTheOriginalAloneAndKeepsStateDictNames()
    {
        var model = PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn());
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

        var folded = BatchNormFolding.Fold(model);

        foreach (var (key, value) in model.StateDict()) Assert.Equal(before[key], value.ToArray());
        Assert.True(model.Training);
        // The BN became an Identity, so the other layers keep their indices (as torch's fuse_modules does).
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"], folded.StateDict().Keys);
        Assert.IsType<Identity>(((Sequential)folded)[1]);
    }

    [Fact]
    public void FoldsInsideNestedSequentialsAndAddsAMissingBias()
    {
        var rng = new Rng(5);
        var inner = new Sequential(new Conv2d(2, 3, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(3), new MaxPool2d(2));
        var model = PersistenceModels.WithRandomBatchNormState(
            new Sequential(inner, new Flatten(), new Dense(12, 5, bias: false, rng: rng), new BatchNorm1d(5, affine: false)));
        var x = PersistenceModels.Input(9, 4, 2, 4, 4);
        var expected = PersistenceModels.Predict(model, x);

        var folded = BatchNormFolding.Fold(model, out var names);

        Assert.Equal(["0.1", "3"], names);
        Assert.True(((Conv2d)((Sequential)((Sequential)folded)[0])[0]).Bias);
        Relative.Close(expected, folded.Forward(x).ToArray(), "folded nested model");
    }

    [Fact]
    public void FoldsInsideResidualBodiesAndShortcuts()
    {
        var model = OnnxExportTests.WithRandomSlopes(PersistenceModels.WithRandomBatchNormState(OnnxExportTests.ResNetBlocks()));
        var x = PersistenceModels.Input(10, 4, 2, 8, 8);
        var expected = PersistenceModels.Predict(model, x);

        var folded = BatchNormFolding.Fold(model, out var names);

        string[] all = ["1", "3.body.1", "3.body.4", "5.body.1", "5.body.4", "5.shortcut.1", "10"];
        Assert.Equal(all, names);
        Assert.Equal(all.Order(), BatchNormFolding.Foldable(model).Order()); // Foldable lists outer Sequentials first
        Assert.DoesNotContain(folded.NamedModules(), m => m.Module is BatchNormBase);
        var block = (Residual)((Sequential)folded)[5];
        Assert.True(((Conv2d)((Sequential)block.Shortcut!)[0]).Bias); // the projection's 1×1 convolution gained a bias
        Assert.IsType<Identity>(((Sequential)block.Body)[4]);
        Assert.Contains("5.shortcut.0.bias", folded.StateDict().Keys); // names kept: the BN's Identity holds index 1
        Assert.Contains("5.body.2.weight", folded.StateDict().Keys);
        Relative.Close(expected, folded.Forward(x).ToArray(), "folded ResNet blocks");
    }

    [Fact]
    public void LeavesWhatCannotBeFolded()
    {
        var rng = new Rng(6);
        var model = new Sequential(
            new Dense(4, 6, rng: rng), new BatchNorm1d(6, trackRunningStats: false), // batch statistics in eval mode too
            new Dense(6, 6, rng: rng), new Flatten(), new BatchNorm1d(6),          // not right after the Dense
            new Conv2d(1, 2, 1, rng: rng), new BatchNorm1d(2));                     // a 1d BN after a convolution

        var folded = BatchNormFolding.Fold(model, out var names);

        Assert.Empty(names);
        Assert.Empty(BatchNormFolding.Foldable(model));
        Assert.Equal(3, folded.NamedModules().Count(m => m.Module is BatchNormBase));
    }

    [Fact]
    public void FoldedModelRoundTripsThroughModelIO()
    {
        var model = PersistenceModels.WithRandomBatchNormState(PersistenceModels.LeNetBn());
        var folded = BatchNormFolding.Fold(model);
        var x = PersistenceModels.Input(2, 3, 1, 28, 28);
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("folded.safetensors");

        ModelIO.Save(folded, path);
        var loaded = ModelIO.Load(path);

        Assert.Equal(PersistenceModels.Predict(folded, x), PersistenceModels.Predict(loaded, x));
    }
}

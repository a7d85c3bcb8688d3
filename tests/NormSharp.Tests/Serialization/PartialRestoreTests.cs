using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Tests.Serialization;

/// <summary><see cref="PartialRestore"/>: the seed's "restore hidden[123] only", with a report, name
/// mapping, and shape mismatches that fail before anything is copied.</summary>
public class PartialRestoreTests
{
    [Fact]
    public void RestoresTheLowerLayersAndReportsTheRest()
    {
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("pretrained.safetensors");
        var pretrained = PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn(classes: 4, seed: 1));
        ModelIO.Save(pretrained, path);

        var fresh = PersistenceModels.MlpBn(classes: 7, seed: 2); // new task, new head
        var headBefore = fresh.StateDict()["6.weight"].ToArray();
        var report = PartialRestore.Restore(fresh, path, @"^[0-5]\.");

        Assert.Equal(
            ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
             "3.weight", "3.bias", "4.weight", "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked"],
            report.Loaded);
        Assert.Equal([new SkippedEntry("6.weight", @"does not match '^[0-5]\.'"), new SkippedEntry("6.bias", @"does not match '^[0-5]\.'")], report.Skipped);
        Assert.Empty(report.Missing);
        Assert.Equal(["6.weight", "6.bias"], report.Untouched);
        Assert.Equal(headBefore, fresh.StateDict()["6.weight"].ToArray());

        // The restored trunk computes what the pretrained one computes.
        var x = PersistenceModels.Input(9, 5, 20);
        var trunk = new Sequential(pretrained.Layers.Take(6));
        var restoredTrunk = new Sequential(fresh.Layers.Take(6));
        Assert.Equal(PersistenceModels.Predict(trunk, x), PersistenceModels.Predict(restoredTrunk, x));
    }

    [Fact]
    public void ReportsModelNamesThePatternSelectsButTheFileLacks()
    {
        var source = new Dictionary<string, Tensor> { ["0.weight"] = new Tensor(32, 20) };
        var report = PartialRestore.Restore(PersistenceModels.MlpBn(), source, new(@"^0\."));
        Assert.Equal(["0.weight"], report.Loaded);
        Assert.Equal(["0.bias"], report.Missing);
        Assert.Contains("missing (1): 0.bias", report.ToString());
    }

    [Fact]
    public void ShapeMismatchIsAnErrorAndCopiesNothing()
    {
        var model = PersistenceModels.MlpBn(classes: 7);
        var before = model.StateDict()["0.weight"].ToArray();
        var source = PersistenceModels.WithRandomBatchNormState(PersistenceModels.MlpBn(classes: 4, seed: 5)).StateDict();

        var e = Assert.Throws<InvalidDataException>(() => PartialRestore.Restore(model, source, new(".*")));
        Assert.Contains("'6.weight' is [4, 16] in state dict but '6.weight' is [7, 16] in the model", e.Message);
        Assert.Contains("'6.bias'", e.Message);
        Assert.Contains("nothing was copied", e.Message);
        Assert.Equal(before, model.StateDict()["0.weight"].ToArray());
    }

    [Fact]
    public void NamesCanBeMappedFromAnotherModelsLayout()
    {
        // The pretrained trunk sits at index 1 of a bigger model; the new model starts with it.
        var source = new Dictionary<string, Tensor> { ["1.weight"] = Tensor.Full(0.5f, 32, 20), ["1.bias"] = Tensor.Full(2f, 32) };
        var model = PersistenceModels.MlpBn();
        var report = PartialRestore.Restore(model, source, new(@"^1\.(weight|bias)$"), name => "0" + name[1..]);
        Assert.Equal(["0.weight", "0.bias"], report.Loaded);
        Assert.All(model.StateDict()["0.bias"].ToArray(), v => Assert.Equal(2f, v));
    }
}

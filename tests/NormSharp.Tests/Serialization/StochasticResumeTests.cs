using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Tests.Serialization;

/// <summary>A run with Dropout and RReLU interrupted by a checkpoint and resumed ends bit-identical to the
/// uninterrupted run: the layers' generators are saved and restored with the model and optimizer.</summary>
[Collection(Training.SerialCollection.Name)]
public class StochasticResumeTests
{
    private static Trainer Create(out DataLoader loader)
    {
        var rng = new Rng(1);
        var model = new Sequential(
            new Dense(12, 16, bias: false, rng: rng), new BatchNorm1d(16), new RReLU(), new Dropout(0.3f),
            new Dense(16, 3, rng: rng));
        var data = SyntheticData.Blobs(90, classes: 3, features: 12, std: 2f, seed: 2);
        loader = new DataLoader(data, 16, seed: 3);
        return new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter), 1e-2f));
    }

    private static uint[] Bits(Module model) =>
        model.StateDict().Values.SelectMany(t => t.ToArray()).Select(BitConverter.SingleToUInt32Bits).ToArray();

    [Fact]
    public void ResumedRunIsBitIdentical()
    {
        var whole = Create(out var wholeLoader);
        whole.Fit(wholeLoader, new FitOptions { MaxSteps = 20, Seed = 4 });

        using var dir = PersistenceModels.TempDir();
        string path = dir.File("run.safetensors");
        var first = Create(out var firstLoader);
        var half = first.Fit(firstLoader, new FitOptions { MaxSteps = 8, Seed = 4 });
        Checkpoint.Save(path, first, firstLoader, TrainingPosition.After(half, firstLoader));

        var resumed = Create(out var resumedLoader);
        var position = Checkpoint.Load(path, resumed, resumedLoader);
        resumed.Fit(resumedLoader, new FitOptions { MaxSteps = 20, Seed = 4, ResumeFrom = position });

        Assert.Equal(Bits(whole.Model), Bits(resumed.Model));
    }
}

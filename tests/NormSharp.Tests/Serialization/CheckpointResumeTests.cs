using NormSharp.Data;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Tests.Serialization;

/// <summary>A run interrupted mid-epoch and resumed from its checkpoint ends bit-identical to the uninterrupted run.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // Checkpoint.Load restores RandomState.Global
public sealed class CheckpointResumeTests
{
    private const int Epochs = 3;

    private static (Trainer Trainer, DataLoader Loader) Setup()
    {
        var model = PersistenceModels.MlpBn(inputs: 2, classes: 3, seed: 4);
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter), lr: 0.01f));
        var loader = new DataLoader(SyntheticData.Blobs(100, classes: 3, features: 2, seed: 2), batchSize: 16, shuffle: true, seed: 3);
        return (trainer, loader);
    }

    [Fact]
    public void ResumedRunIsBitIdenticalToTheUninterruptedOne()
    {
        var global = RandomState.Global.GetState();
        try
        {
            var (straight, straightLoader) = Setup();
            straight.Fit(straightLoader, new FitOptions { Epochs = Epochs });

            using var dir = PersistenceModels.TempDir();
            string path = dir.File("run.safetensors");
            var (interrupted, interruptedLoader) = Setup();
            var callback = new CheckpointCallback(path, interruptedLoader, everySteps: 5);
            interrupted.Fit(interruptedLoader, new FitOptions { MaxSteps = 10, Callbacks = [callback] }); // stops inside epoch 2 (7 batches each)

            var (resumed, resumedLoader) = Setup();
            var position = Checkpoint.Load(path, resumed, resumedLoader);
            Assert.Equal(new TrainingPosition(10, 2, 3), position);
            resumed.Fit(resumedLoader, new FitOptions { Epochs = Epochs, ResumeFrom = position });

            var expected = straight.Model.StateDict();
            foreach (var (key, value) in resumed.Model.StateDict())
                Assert.True(expected[key].ToArray().SequenceEqual(value.ToArray()), $"'{key}' differs after resuming");
            var x = PersistenceModels.Input(5, 8, 2);
            Assert.Equal(PersistenceModels.Predict(straight.Model, x), PersistenceModels.Predict(resumed.Model, x));
        }
        finally
        {
            RandomState.Global.SetState(global);
        }
    }
}

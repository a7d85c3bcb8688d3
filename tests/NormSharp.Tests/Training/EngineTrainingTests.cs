using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Tests.Training;

/// <summary>
/// The engine's acceptance runs: an MLP 784-100-10 with BatchNorm1d and a Conv2d + BatchNorm2d + MaxPool2d
/// network each train through <see cref="Trainer.Fit"/> on synthetic separable data to &gt; 99% held-out
/// accuracy. A few hundred milliseconds each on 2 cores.
/// </summary>
public class EngineTrainingTests
{
    [Fact]
    public void MlpWithBatchNormReachesNinetyNinePercent()
    {
        // Ten Gaussian blobs in 784 dimensions (centres U(−10, 10)^784, σ = 3 per coordinate).
        var all = SyntheticData.Blobs(3000, classes: 10, features: 784, std: 3f, seed: 11);
        var (train, test) = Split(all, 2000);
        var model = ModelZoo.Mlp(784, [100], 10, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) });
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.NamedParameters().Select(p => p.Parameter), 0.05f, momentum: 0.9f));
        var fit = trainer.Fit(new DataLoader(train, 100, seed: 2), new FitOptions { Epochs = 2, Validation = test, Seed = 3 });
        Assert.Equal(40, fit.Steps);
        var result = trainer.Evaluate(test);
        Assert.True(result.Accuracy > 0.99, $"held-out accuracy {result.Accuracy:P2}");
        Assert.True(model.Training, "Evaluate restores training mode");
    }

    [Fact]
    public void ConvBatchNormMaxPoolReachesNinetyNinePercent()
    {
        var all = QuadrantImages(1500, seed: 5);
        var (train, test) = Split(all, 1000);
        var rng = new Rng(6);
        var model = new Sequential(
            new Conv2d(1, 8, 3, padding: 1, bias: false, rng: rng),
            new BatchNorm2d(8),
            new ReLU(),
            new MaxPool2d(2),
            new Flatten(),
            new Dense(8 * 6 * 6, 4, rng: rng));
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter), 1e-2f));
        var target = new StopAtTargetAccuracy(0.995);
        var fit = trainer.Fit(new DataLoader(train, 50, seed: 7),
            new FitOptions { Epochs = 4, Validation = test, EvaluateEverySteps = 20, Callbacks = [target], Seed = 8 });
        var result = trainer.Evaluate(test);
        Assert.True(result.Accuracy > 0.99, $"held-out accuracy {result.Accuracy:P2} after {fit.Steps} steps");
        // Predict (eval mode) agrees with Evaluate's accuracy.
        var logits = trainer.Predict(test.Features);
        Assert.Equal([500, 4], logits.Shape);
        int correct = 0;
        for (int n = 0; n < 500; n++)
        {
            int best = 0;
            for (int c = 1; c < 4; c++) if (logits[n, c] > logits[n, best]) best = c;
            if (best == (int)test.Targets[n]) correct++;
        }
        Assert.Equal(result.Accuracy!.Value, correct / 500.0, 1e-12);
    }

    /// <summary>
    /// [N, 1, 12, 12] images of N(0, 0.3²) noise with a bright 3×3 square (+2) somewhere inside the quadrant
    /// named by the label (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right).
    /// </summary>
    internal static InMemoryDataset QuadrantImages(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new Tensor(count, 1, 12, 12);
        var y = new Tensor(count);
        for (int n = 0; n < count; n++)
        {
            int label = rng.NextInt(4);
            y[n] = label;
            for (int i = 0; i < 144; i++) x.Data[n * 144 + i] = rng.NextGaussian(0f, 0.3f);
            int top = (label / 2) * 6 + rng.NextInt(4), left = (label % 2) * 6 + rng.NextInt(4);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) x[n, 0, top + i, left + j] += 2f;
        }
        return new InMemoryDataset("quadrants", x, y, 4);
    }

    internal static (InMemoryDataset Train, InMemoryDataset Test) Split(InMemoryDataset all, int trainCount)
    {
        var first = Enumerable.Range(0, trainCount).ToArray();
        var rest = Enumerable.Range(trainCount, all.Count - trainCount).ToArray();
        return (all.Subset(first, "train"), all.Subset(rest, "test"));
    }
}

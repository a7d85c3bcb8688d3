using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Tests.Reliability;

/// <summary>Issue #7, determinism: the same seeds and thread count give bit-identical weights after
/// training, for MLP+BN and LeNet+BN; the effect of the thread count is measured and documented.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // sets ParallelRunner.Threads
public sealed class DeterminismTests
{
    private static float[] TrainedWeights(Func<Sequential> build, InMemoryDataset data, int threads, int epochs)
    {
        int saved = ParallelRunner.Threads;
        ParallelRunner.Threads = threads;
        try
        {
            var model = build();
            var trainer = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.NamedParameters().Select(p => p.Parameter), 0.05f, momentum: 0.9f));
            trainer.Fit(new DataLoader(data, 32, seed: 5), new FitOptions { Epochs = epochs, Seed = 9 });
            return [.. model.StateDict().Values.SelectMany(t => t.ToArray())];
        }
        finally
        {
            ParallelRunner.Threads = saved;
        }
    }

    private static InMemoryDataset Digits(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new Tensor(count, 1, 28, 28);
        var y = new Tensor(count);
        for (int i = 0; i < count; i++)
        {
            int label = rng.NextInt(10);
            y[i] = label;
            for (int p = 0; p < 784; p++) x.Span[i * 784 + p] = (p % 10 == label ? 1f : 0f) + 0.2f * rng.NextGaussian();
        }
        return new InMemoryDataset("digits", x, y, 10);
    }

    private static Sequential MlpBn() => ModelZoo.Mlp(784, [128, 64], 10, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) });

    private static Sequential LeNetBn() => ModelZoo.LeNet(10, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Activation = "relu", Rng = new Rng(1) });

    private static InMemoryDataset Flat(InMemoryDataset images) =>
        new(images.Name, images.Features.Reshape(images.Count, 784), images.Targets, images.NumClasses);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MlpWithBatchNormIsBitIdenticalForTheSameSeedAndThreads(int threads)
    {
        var data = Flat(Digits(256, 4));
        Assert.Equal(TrainedWeights(MlpBn, data, threads, 2), TrainedWeights(MlpBn, data, threads, 2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LeNetWithBatchNormIsBitIdenticalForTheSameSeedAndThreads(int threads)
    {
        var data = Digits(96, 6);
        Assert.Equal(TrainedWeights(LeNetBn, data, threads, 1), TrainedWeights(LeNetBn, data, threads, 1));
    }

    [Fact]
    public void TheThreadCountChangesResultsOnlyThroughChunkingAndStaysClose()
    {
        // Kernels chunk by size and thread count and sum partial results in chunk order: one and two
        // threads may round differently (docs/RELIABILITY.md records by how much), but never diverge.
        var data = Flat(Digits(256, 4));
        var one = TrainedWeights(MlpBn, data, 1, 2);
        var two = TrainedWeights(MlpBn, data, 2, 2);
        double worst = 0;
        for (int i = 0; i < one.Length; i++) worst = Math.Max(worst, Math.Abs(one[i] - two[i]) / (1e-3 + Math.Abs(one[i])));
        Assert.True(worst < 1e-2, $"1 vs 2 threads: largest relative difference {worst}");
    }
}

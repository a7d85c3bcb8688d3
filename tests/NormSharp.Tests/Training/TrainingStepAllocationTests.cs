using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Tests.Layers;
using NormSharp.Training;

namespace NormSharp.Tests.Training;

/// <summary>
/// A whole warmed-up training step (<see cref="Trainer.TrainStep"/>: zero grad, forward, loss, backward,
/// optimizer) of the benchmark networks allocates no managed memory, at 1 and 2 kernel threads: the
/// seeds' 7-layer MLP with BatchNorm under Adam, and d2l's LeNet-5 with BatchNorm under SGD.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class TrainingStepAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MlpWithBatchNormAndAdamAllocatesNothingPerStep(int threads)
    {
        var model = ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10,
            new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) });
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(Parameters(model), lr: 1e-3f));
        AssertNoAllocation(trainer, Batch(new Rng(2), [64, 784]), threads);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LeNetWithBatchNormAndSgdAllocatesNothingPerStep(int threads)
    {
        var model = ModelZoo.LeNet(10, new ModelOptions { Activation = "sigmoid", Normalization = NormalizationKind.BatchNorm, Rng = new Rng(3) });
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Sgd(Parameters(model), lr: 0.1f));
        AssertNoAllocation(trainer, Batch(new Rng(4), [32, 1, 28, 28]), threads);
    }

    private static void AssertNoAllocation(Trainer trainer, Tensor x, int threads)
    {
        var y = new Tensor(x.Dim(0));
        var rng = new Rng(5);
        for (int i = 0; i < y.Size; i++) y.Span[i] = rng.NextInt(10);
        int saved = ParallelRunner.Threads;
        ParallelRunner.Threads = threads;
        try
        {
            float first = trainer.TrainStep(x, y);
            // Enough warm-up for tiered compilation to settle, and windows of one step: the counter is
            // process-wide, and the test host and background JIT allocate now and then.
            long bytes = AllocationProbe.LeastBytes(() => trainer.TrainStep(x, y), warmUp: 40, windows: 12, stepsPerWindow: 1);
            Assert.Equal(0, bytes);
            // The steps did train: the loss on the repeated batch went down.
            Assert.True(trainer.TrainStep(x, y) < first, "the loss on a repeated batch should fall");
        }
        finally { ParallelRunner.Threads = saved; }
    }

    private static IEnumerable<Parameter> Parameters(Module model) => model.NamedParameters().Select(p => p.Parameter);

    private static Tensor Batch(Rng rng, int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextGaussian();
        return t;
    }
}

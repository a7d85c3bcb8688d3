using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Tests.Layers;
using NormSharp.Training;

namespace NormSharp.Tests.Training;

/// <summary>
/// Whole training steps through <see cref="Trainer.TrainStep"/>: no managed allocation in steady state
/// (measured with <see cref="GC.GetTotalAllocatedBytes(bool)"/> around 10 steps after warm-up, the least of
/// up to twenty windows, stopping at the first clean one: the counter is process-wide, and the test host alone
/// was measured allocating 168 bytes every ~0.1 s on its own threads, so the batches are small enough for a
/// window to fit between two of those; with one thread, the step's own counter must read 0 as well), and
/// bit-identical weights for the same seeds and thread count.
/// </summary>
[Collection(SerialCollection.Name)]
public class EngineStepTests
{
    private static Sequential MlpWithBatchNormAndDropout(ulong seed)
    {
        var rng = new Rng(seed);
        return new Sequential(
            new Dense(784, 100, bias: false, rng: rng), new BatchNorm1d(100), new ReLU(), new Dropout(0.2f, rng.Fork()),
            new Dense(100, 10, rng: rng));
    }

    private static Sequential ConvWithBatchNormAndMaxPool(ulong seed)
    {
        var rng = new Rng(seed);
        return new Sequential(
            new Conv2d(1, 6, 5, padding: 2, bias: false, rng: rng), new BatchNorm2d(6), new PReLU(6), new MaxPool2d(2),
            new Flatten(), new Dropout(0.3f, rng.Fork()), new Dense(6 * 14 * 14, 10, rng: rng));
    }

    private static (Tensor X, Tensor Y) Batch(int[] shape, ulong seed)
    {
        var rng = new Rng(seed);
        var x = GradientCheck.Random(rng, shape);
        var y = new Tensor(shape[0]);
        for (int i = 0; i < shape[0]; i++) y[i] = rng.NextInt(10);
        return (x, y);
    }

    [Theory]
    [InlineData("mlp", 1)]
    [InlineData("mlp", 2)]
    [InlineData("conv", 1)]
    [InlineData("conv", 2)]
    public void SteadyStateTrainingStepAllocatesNothing(string kind, int threads)
    {
        int saved = ParallelRunner.Threads;
        ParallelRunner.Threads = threads;
        try
        {
            var model = kind == "mlp" ? MlpWithBatchNormAndDropout(1) : ConvWithBatchNormAndMaxPool(1);
            var (x, y) = Batch(kind == "mlp" ? [32, 784] : [4, 1, 28, 28], 2);
            var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter), 1e-3f))
            {
                ClipGradNorm = 5f,
            };
            long bytes = AllocationProbe.LeastBytes(() => trainer.TrainStep(x, y), warmUp: 20, windows: 20, stepsPerWindow: 10, stopAtZero: true);
            Assert.Equal(0, bytes);
            if (threads == 1)
            {
                // Every kernel chunk runs on this thread: its own counter sees all of the step and nothing of the host.
                Assert.Equal(0, AllocationProbe.LeastThreadBytes(() =>
                {
                    for (int i = 0; i < 10; i++) trainer.TrainStep(x, y);
                }));
            }
        }
        finally { ParallelRunner.Threads = saved; }
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("conv")]
    public void SameSeedsAndThreadsGiveBitIdenticalWeights(string kind)
    {
        int saved = ParallelRunner.Threads;
        ParallelRunner.Threads = 2;
        try
        {
            float[] Run(ulong fitSeed)
            {
                var model = kind == "mlp" ? MlpWithBatchNormAndDropout(4) : ConvWithBatchNormAndMaxPool(4);
                var (x, y) = Batch(kind == "mlp" ? [240, 784] : [60, 1, 28, 28], 5);
                var data = new InMemoryDataset("random", x, y, 10);
                var trainer = new Trainer(model, new CrossEntropyLoss(),
                    new Sgd(model.NamedParameters().Select(p => p.Parameter), 0.05f, momentum: 0.9f, nesterov: true));
                trainer.Fit(new DataLoader(data, 20, seed: 6), new FitOptions { Epochs = 2, Seed = fitSeed });
                return model.StateDict().Values.SelectMany(t => t.ToArray()).ToArray();
            }
            static uint[] Bits(float[] values) => values.Select(BitConverter.SingleToUInt32Bits).ToArray();
            var first = Bits(Run(7));
            Assert.Equal(first, Bits(Run(7)));
            Assert.NotEqual(first, Bits(Run(8))); // the seed reaches the dropout masks
        }
        finally { ParallelRunner.Threads = saved; }
    }
}

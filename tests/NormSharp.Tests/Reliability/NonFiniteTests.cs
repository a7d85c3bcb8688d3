using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Tests.Training;
using NormSharp.Training;

namespace NormSharp.Tests.Reliability;

/// <summary>Issue #7, numeric faults: a NaN injected into a layer's output or gradient stops training with
/// the step and the layer, keeps the last good checkpoint, or (skip-batch) drops just that batch.</summary>
public sealed class NonFiniteTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("normsharp-nan-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Identity, except that on the chosen calls it writes a NaN into its forward output or its backward gradient.</summary>
    private sealed class NaNInjector(int[] forwardCalls, int[] backwardCalls) : Module
    {
        public int[] ForwardCalls => forwardCalls; // constructor arguments as properties, for ArchitectureJson
        public int[] BackwardCalls => backwardCalls;

        private Tensor? _output, _grad;
        private int _forward, _backward;

        public override Tensor Forward(Tensor x)
        {
            var y = Tensor.Ensure(ref _output, x.Shape);
            x.Span.CopyTo(y.Span);
            if (Training && forwardCalls.Contains(++_forward)) y.Span[1] = float.NaN;
            return y;
        }

        public override Tensor Backward(Tensor gradOutput)
        {
            var g = Tensor.Ensure(ref _grad, gradOutput.Shape);
            gradOutput.Span.CopyTo(g.Span);
            if (backwardCalls.Contains(++_backward)) g.Span[0] = float.PositiveInfinity;
            return g;
        }

        public override int[] OutputShape(int[] inputShape) => inputShape;
    }

    private static (Trainer Trainer, DataLoader Loader, Sequential Model) Setup(NaNInjector injector)
    {
        var rng = new Rng(5);
        var model = new Sequential(new Dense(4, 8, rng: rng), new BatchNorm1d(8), injector, new ReLU(), new Dense(8, 4, rng: rng));
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.NamedParameters().Select(p => p.Parameter), 0.1f));
        return (trainer, new DataLoader(FakeData.OneHot(64, 4, 2f, seed: 3), 16, seed: 9), model);
    }

    [Fact]
    public void FiniteCheckAgreesWithItsReferenceAtEveryLengthAndPosition()
    {
        for (int n = 0; n <= 70; n++)
        {
            var data = new float[n];
            Assert.Equal(-1, FiniteCheck.IndexOfNonFinite(data));
            for (int at = 0; at < n; at++)
                foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                {
                    Array.Clear(data);
                    data[at] = bad;
                    if (at + 3 < n) data[at + 3] = float.NaN;
                    Assert.Equal(FiniteCheckReference.IndexOfNonFinite(data), FiniteCheck.IndexOfNonFinite(data));
                    Assert.Equal(at, FiniteCheck.IndexOfNonFinite(data));
                }
        }
        Assert.True(FiniteCheck.AllFinite([float.MaxValue, -float.MaxValue, float.Epsilon, 0f]));
    }

    [Fact]
    public void ANaNInTheForwardPassStopsNamingTheStepAndTheLayer()
    {
        var (trainer, loader, model) = Setup(new NaNInjector([6, 7], [])); // call 7: the guard's replay of step 6
        string checkpoint = Path.Combine(_folder, "last.safetensors");
        var options = new FitOptions { Epochs = 3, OnNonFinite = NonFinitePolicy.Stop, Callbacks = [new CheckpointCallback(checkpoint, loader, 2)] };
        var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.Fit(loader, options));
        Assert.Equal(6, e.Step);
        Assert.Equal((2, 2), (e.Epoch, e.BatchInEpoch));
        Assert.Equal(NumericFaultKind.Loss, e.Kind);
        Assert.Equal("2", e.Layer);
        Assert.Contains("non-finite loss (NaN) at step 6 (epoch 2, batch 2): it first appears in the output of layer 2 (NaNInjector)", e.Message);
        // The faulty update was not applied, and the checkpoint of step 4 is intact and finite.
        Assert.Equal(5, trainer.Optimizer.StepCount);
        Assert.All(model.NamedParameters(), p => Assert.True(FiniteCheck.AllFinite(p.Parameter.Value.Span)));
        Assert.Equal(4, Checkpoint.ReadPosition(checkpoint).Step);
        Assert.All(SafetensorsFile.Read(checkpoint).Tensors.Where(t => t.Key.StartsWith("model.", StringComparison.Ordinal)),
            t => Assert.True(FiniteCheck.AllFinite(t.Value.ToTensor().Span), t.Key));
    }

    [Fact]
    public void AnInfiniteGradientIsTracedToTheLayerWhereBackpropagationMetIt()
    {
        var (trainer, loader, _) = Setup(new NaNInjector([], [3]));
        var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.Fit(loader, new FitOptions { Epochs = 2, OnNonFinite = NonFinitePolicy.Stop }));
        Assert.Equal((3L, NumericFaultKind.Gradient, "1"), (e.Step, e.Kind, e.Layer)); // the BN below the injector
        Assert.Contains("the gradient of '1.", e.Message);
    }

    [Fact]
    public void AnUpdateThatOverflowsAWeightStops()
    {
        var rng = new Rng(1);
        var model = new Sequential(new Dense(4, 4, rng: rng));
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.NamedParameters().Select(p => p.Parameter), 3e38f));
        var loader = new DataLoader(FakeData.OneHot(32, 4, 100f, seed: 3), 8); // inputs of 100: gradients of order 10, lr × gradient overflows
        var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.Fit(loader, new FitOptions { OnNonFinite = NonFinitePolicy.Stop }));
        Assert.Equal((1L, NumericFaultKind.Weight), (e.Step, e.Kind));
        Assert.Contains("learning rate", e.Message);
    }

    [Fact]
    public void SkipBatchDropsOnlyTheFaultyBatchesAndRestoresBatchNormStatistics()
    {
        var (skipping, loader, model) = Setup(new NaNInjector([2, 7], []));
        var result = skipping.Fit(loader, new FitOptions { Epochs = 3, OnNonFinite = NonFinitePolicy.SkipBatch });
        Assert.Equal(2, result.SkippedBatches);
        Assert.Equal(10, result.Steps); // 12 batches, 2 skipped
        Assert.All(model.StateDict(), kv => Assert.True(FiniteCheck.AllFinite(kv.Value.Span), kv.Key));
        // BN counted only the batches that were kept.
        Assert.Equal(10f, model.StateDict()["1.num_batches_tracked"].Span[0]);
        Assert.True(result.History.All(r => double.IsFinite(r.TrainLoss)));
    }

    [Fact]
    public void WithoutAPolicyTheNaNSpreadsAsInPyTorch()
    {
        var (trainer, loader, model) = Setup(new NaNInjector([1], []));
        trainer.Fit(loader, new FitOptions { Epochs = 1 });
        Assert.False(FiniteCheck.AllFinite(model.StateDict()["1.running_mean"].Span));
    }
}

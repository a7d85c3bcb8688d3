using NormSharp.Inference;
using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Tests.Kernels;
using NormSharp.Tests.Layers;
using NormSharp.Tests.Serialization;

namespace NormSharp.Tests.Inference;

/// <summary><see cref="InferenceModel"/>: its output is bit for bit the model's eval-mode forward (BN-folded MLP and
/// LeNet, batches of 500, 7 and 1, 1 and 2 threads), it is a snapshot (later changes to the model are not seen, the model
/// is not changed), a steady state allocates nothing, and a disposed one refuses to run.</summary>
[Collection(KernelSerialCollection.Name)]
public sealed class InferenceModelTests
{
    public static TheoryData<string, int, int> Cases => new()
    {
        { "mlp", 500, 2 }, { "mlp", 7, 1 }, { "mlp", 1, 2 }, { "mlp", 1, 1 }, { "lenet", 9, 2 }, { "lenet", 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RunGivesTheBitsOfTheEvalForwardAndAllocatesNothing(string name, int batch, int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        var (model, shape) = Model(name, batch);
        var folded = BatchNormFolding.Fold(PersistenceModels.WithRandomBatchNormState(model));
        var x = PersistenceModels.Input(5, shape);
        using var prepared = InferenceModel.Create(folded);
        var expected = folded.Forward(x).ToArray();
        Assert.Equal(expected, prepared.Run(x).ToArray());
        Assert.Equal(folded.OutputShape(shape), prepared.OutputShape(shape));
        Assert.Equal(0, AllocationProbe.LeastBytes(() => prepared.Run(x), stopAtZero: true, windows: 5));
    });

    [Fact]
    public void IsASnapshotAndLeavesTheModelAsItWas()
    {
        var (model, shape) = Model("mlp", 4);
        model.Train();
        var x = PersistenceModels.Input(6, shape);
        using var prepared = InferenceModel.Create(model);
        Assert.True(model.Training);
        model.Eval();
        var before = model.Forward(x).ToArray();
        Assert.Equal(before, prepared.Run(x).ToArray());

        // Weights changed after Create: the model sees them, the snapshot does not.
        var dense = model.NamedModules().Select(m => m.Module).OfType<Dense>().First();
        dense.WeightParameter.Value.Span.Fill(0.5f);
        Assert.NotEqual(before, model.Forward(x).ToArray());
        Assert.Equal(before, prepared.Run(x).ToArray());
    }

    [Fact]
    public void ADisposedModelRefusesToRun()
    {
        var (model, shape) = Model("mlp", 2);
        var prepared = InferenceModel.Create(model);
        prepared.Dispose();
        prepared.Dispose();
        Assert.Throws<ObjectDisposedException>(() => prepared.Run(PersistenceModels.Input(1, shape)));
    }

    private static (Module Model, int[] Shape) Model(string name, int batch)
    {
        var options = new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) };
        return name == "mlp"
            ? (ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, options), [batch, 784])
            : (ModelZoo.LeNet(options: options with { Activation = "sigmoid" }), [batch, 1, 28, 28]);
    }
}

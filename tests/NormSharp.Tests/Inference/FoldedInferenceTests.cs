using NormSharp.Inference;
using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Tests.Kernels;
using NormSharp.Tests.Layers;
using NormSharp.Tests.Serialization;

namespace NormSharp.Tests.Inference;

/// <summary>
/// Eval-mode inference of the BN-folded seed models as the ONNX Runtime comparison runs it
/// (bench/NormSharp.Bench OrtComparison): a batch of one (the GEMV path of Dense) predicts what the same row of
/// a batch predicts, and a warmed-up forward pass allocates nothing, at batch 1 and batch N, 1 and 2 threads.
/// </summary>
[Collection(KernelSerialCollection.Name)]
public sealed class FoldedInferenceTests
{
    public static TheoryData<string, int> Cases => new() { { "mlp", 1 }, { "mlp", 2 }, { "lenet", 1 }, { "lenet", 2 } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneExampleAgreesWithItsBatchRowAndNothingIsAllocated(string name, int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        var options = new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) };
        var (model, shape) = name == "mlp"
            ? ((Module)ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, options), new[] { 16, 784 })
            : (ModelZoo.LeNet(options: options with { Activation = "sigmoid" }), new[] { 16, 1, 28, 28 });
        var folded = BatchNormFolding.Fold(PersistenceModels.WithRandomBatchNormState(model));
        // Two copies, one per batch size, so neither re-shapes its buffers between calls.
        var single = BatchNormFolding.Fold(model);
        var batch = PersistenceModels.Input(5, shape);
        int features = batch.Size / shape[0];
        var one = Tensor.FromArray(batch.ToArray().AsSpan(3 * features, features).ToArray(), [1, .. shape[1..]]);

        var expected = folded.Forward(batch).ToArray().AsSpan(3 * 10, 10).ToArray(); // logits of row 3
        var actual = single.Forward(one).ToArray();

        Relative.Close(expected, actual, $"{name}: one example against its row of the batch");
        foreach (var (m, x) in new[] { (folded, batch), (single, one) })
        {
            m.Forward(x);
            Assert.Equal(0, AllocationProbe.LeastThreadBytes(() =>
            {
                for (int i = 0; i < 5; i++) m.Forward(x);
            }));
        }
    });
}

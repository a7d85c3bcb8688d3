using NormSharp.Cli.Experiments;
using NormSharp.Cli.Transfer;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Tests.Cli;

/// <summary>The pieces behind <c>normsharp transfer</c>, <c>reproduce transfer</c> and <c>reproduce lenet</c>.</summary>
public sealed class TransferHelpersTests
{
    [Theory]
    [InlineData("5-9", new[] { 5, 6, 7, 8, 9 })]
    [InlineData("0,2,4", new[] { 0, 2, 4 })]
    [InlineData("7, 0-1", new[] { 7, 0, 1 })]
    public void ClassSubset_Parse_AcceptsRangesAndLists(string text, int[] expected) => Assert.Equal(expected, ClassSubset.Parse(text, 10));

    [Theory]
    [InlineData("9-5", "runs backwards")]
    [InlineData("1,1", "appears twice")]
    [InlineData("a-b", "expected a list")]
    [InlineData("3-10", "outside [0, 10)")]
    public void ClassSubset_Parse_RejectsBadLists(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => ClassSubset.Parse(text, 10)).Message);

    [Fact]
    public void ClassSubset_Select_RelabelsInTheGivenOrder_AndPerClassCaps()
    {
        var features = new Tensor(6, 2);
        for (int i = 0; i < 12; i++) features.Span[i] = i;
        var data = new InMemoryDataset("toy", features, Tensor.FromArray([3f, 1f, 3f, 2f, 1f, 3f], 6), numClasses: 4);

        var picked = ClassSubset.Select(data, [3, 1]);
        Assert.Equal([0f, 1f, 0f, 1f, 0f], picked.Targets.ToArray());
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f, 8f, 9f, 10f, 11f], picked.Features.ToArray());
        Assert.Equal(2, picked.NumClasses);
        Assert.Equal(2, ClassSubset.Select(data, [3, 1], limit: 2).Count);

        var capped = ClassSubset.PerClass(data, 1);
        Assert.Equal([3f, 1f, 2f], capped.Targets.ToArray());
    }

    [Fact]
    public void SeedLayerNames_RoundTrip_AndRestoreWithTheSeedsRegex()
    {
        Assert.Equal("hidden1.dense.weight", SeedLayerNames.ToSeed("0.weight", 5));
        Assert.Equal("hidden2.bn.running_var", SeedLayerNames.ToSeed("4.running_var", 5));
        Assert.Equal("logits.bias", SeedLayerNames.ToSeed("15.bias", 5));
        var model = TransferExperiment.NewModel(new Rng(1));
        foreach (string key in model.StateDict().Keys)
            Assert.Equal(key, SeedLayerNames.ToPositional(SeedLayerNames.ToSeed(key, 5), 5));
        Assert.Throws<ArgumentException>(() => SeedLayerNames.ToSeed("2.weight", 5)); // an activation has no state

        var target = TransferExperiment.NewModel(new Rng(2));
        var report = PartialRestore.Restore(target, SeedLayerNames.Rename(model.StateDict(), 5),
            new System.Text.RegularExpressions.Regex(TransferExperiment.RestorePattern), name => SeedLayerNames.ToPositional(name, 5));
        Assert.Equal(18, report.Loaded.Count);
        Assert.All(report.Loaded, key => Assert.True(int.Parse(key.Split('.')[0]) < 9, key));
        Assert.Equal(((Dense)model[6]).WeightParameter.Value.ToArray(), ((Dense)target[6]).WeightParameter.Value.ToArray());
        Assert.NotEqual(((Dense)model[9]).WeightParameter.Value.ToArray(), ((Dense)target[9]).WeightParameter.Value.ToArray());
    }

    [Fact]
    public void FrozenLayers_CountsTheLeadingFrozenBlock()
    {
        var model = TransferExperiment.NewModel(new Rng(3));
        Assert.Equal(0, FrozenLayers.LeadingFrozenCount(model));
        Freezing.Freeze(model, Freezing.PrefixPattern(9));
        Assert.Equal(9, FrozenLayers.LeadingFrozenCount(model)); // hidden1–3 with their ELUs
        var partly = TransferExperiment.NewModel(new Rng(3));
        Freezing.Freeze(partly, @"^0\.");
        Assert.Equal(1, FrozenLayers.LeadingFrozenCount(partly)); // the frozen Dense only: the BN after it still trains
    }

    [Fact]
    public void SeedLeNet_VariantsHaveTheSeedsShapes_AndScratchStartsLikeFused()
    {
        var scratch = SeedLeNet.Create(LeNetVariant.ScratchBatchNorm, new Rng(5));
        var fused = SeedLeNet.Create(LeNetVariant.FusedBatchNorm, new Rng(5));
        var plain = SeedLeNet.Create(LeNetVariant.NoBatchNorm, new Rng(5));
        Assert.Equal([2, 10], scratch.OutputShape([2, 1, 28, 28]));
        Assert.Equal([2, 16, 4, 4], new Sequential(fused.Layers.Take(8)).OutputShape([2, 1, 28, 28])); // the seed's Linear(16*4*4, 120)
        Assert.Equal([2, 10], plain.OutputShape([2, 1, 28, 28]));
        Assert.Equal(1.0f, SeedLeNet.LearningRate(LeNetVariant.FusedBatchNorm));
        Assert.Equal(0.9f, SeedLeNet.LearningRate(LeNetVariant.NoBatchNorm));
        // Identical starting weights (BN layers draw no random numbers), and Xavier-uniform bounds.
        Assert.Equal(((Conv2d)fused[0]).WeightParameter.Value.ToArray(), ((Conv2d)scratch[0]).WeightParameter.Value.ToArray());
        float bound = MathF.Sqrt(6f / (16 * 4 * 4 + 120));
        var w = ((Dense)fused[9]).WeightParameter.Value.ToArray();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.9f * bound);
        var (gamma, beta) = SeedLeNet.FirstBatchNormAffine(scratch)!.Value;
        Assert.Equal(6, gamma.Length);
        Assert.All(gamma, v => Assert.Equal(1f, v));
        Assert.All(beta, v => Assert.Equal(0f, v));
        Assert.Null(SeedLeNet.FirstBatchNormAffine(plain));
    }
}

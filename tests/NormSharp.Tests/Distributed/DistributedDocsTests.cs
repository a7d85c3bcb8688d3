using System.CommandLine;
using NormSharp.Cli;
using NormSharp.Cli.Commands;
using NormSharp.Distributed;

namespace NormSharp.Tests.Distributed;

/// <summary>docs/DISTRIBUTED.md states figures and options; they must stay true.</summary>
public sealed class DistributedDocsTests
{
    private static string Docs()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", "DISTRIBUTED.md");
            if (File.Exists(Path.Combine(dir.FullName, "NormSharp.slnx")) && File.Exists(path)) return File.ReadAllText(path);
        }
        Assert.Fail("docs/DISTRIBUTED.md not found above " + AppContext.BaseDirectory);
        return "";
    }

    [Theory]
    [InlineData("mlp", true, new[] { 784 }, 801_660)] // BN replaces the bias of the layer before it
    [InlineData("mlp", false, new[] { 784 }, 800_085)]
    [InlineData("lenet", true, new[] { 1, 28, 28 }, 61_932)]
    [InlineData("lenet", false, new[] { 1, 28, 28 }, 61_706)]
    public void CostModelParameterCounts_AreTheModelsOfTheCommand(string model, bool bn, int[] shape, int parameters)
    {
        var net = DistributedModels.Build(model, [500, 400, 300, 200, 100, 50, 25], bn, shape, 10, seed: 1);
        var reducer = new GradientAllreducer(SingleProcessCommunicator.Instance, net.NamedParameters().Select(p => p.Parameter));
        Assert.Equal(parameters, reducer.Elements);
        Assert.Equal(1, reducer.BucketCount); // "one MPI_Allreduce per step"
        Assert.Contains(parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), Docs());
    }

    [Fact]
    public void DocumentedOptions_Exist()
    {
        var train = Program.BuildRootCommand().Subcommands.Single(c => c.Name == "distributed").Subcommands.Single(c => c.Name == "train");
        var names = train.Options.Select(o => o.Name).ToHashSet();
        string docs = Docs();
        foreach (string option in (string[])["--model", "--hidden", "--activation", "--bn", "--no-sync-bn", "--batch-size", "--steps", "--dataset", "--lr", "--momentum",
                     "--seed", "--save", "--save-every", "--resume", "--out", "--evaluate", "--threads"])
        {
            Assert.Contains(option, names);
            Assert.Contains("`" + option, docs);
        }
    }

    [Fact]
    public void TrainDistributed_IsTheDocumentedCommand()
    {
        var train = Program.BuildRootCommand().Subcommands.Single(c => c.Name == "train");
        var names = train.Options.Select(o => o.Name).ToHashSet();
        string docs = Docs();
        Assert.Contains("mpirun -np 2 ./normsharp train ", docs);
        foreach (string option in (string[])["--distributed", "--no-sync-bn", "--batch-size", "--optimizer", "--checkpoint", "--resume", "--metrics", "--plot", "--save"])
        {
            Assert.Contains(option, names);
            Assert.Contains("`" + option, docs);
        }
    }
}

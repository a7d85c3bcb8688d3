namespace NormSharp.Tests.Reliability;

/// <summary>Issue #7, bad arguments: every rejected option gives exit code 2 and exactly one line,
/// <c>error: …</c>, naming the option — for <c>train</c>, <c>data</c> and <c>reproduce</c>.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // redirects Console
public sealed class BadArgumentTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("normsharp-args-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Moons = ["train", "--dataset", "synthetic-moons", "--hidden", "8", "--steps", "2"];

    public static TheoryData<string[], string> TrainCases() => new()
    {
        { [.. Moons, "--batch-size", "-4"], "--batch-size -4 must be at least 1" },
        { [.. Moons, "--batch-size", "0"], "--batch-size 0" },
        { [.. Moons, "--epochs", "0"], "--epochs 0 must be at least 1" },
        { [.. Moons, "--steps", "-1"], "--steps" },
        { ["train", "--dataset", "synthetic-moons", "--hidden", "8,-3"], "every layer needs at least 1 unit" },
        { ["train", "--dataset", "synthetic-moons", "--hidden", "8,x"], "'x' is not an integer" },
        { [.. Moons, "--activation", "swishy"], "--activation 'swishy' is unknown" },
        { [.. Moons, "--model", "resnet"], "--model 'resnet' is neither mlp, lenet" },
        { [.. Moons, "--bn", "--batch-size", "1"], "a batch of one example has no variance" },
        { [.. Moons, "--bn-momentum", "1.5"], "--bn-momentum 1.5 must be in [0, 1]" },
        { [.. Moons, "--bn-eps", "-1"], "--bn-eps -1" },
        { [.. Moons, "--lr", "0"], "--lr 0 must be a finite number > 0" },
        { [.. Moons, "--lr", "-0.1"], "--lr -0.1" },
        { [.. Moons, "--momentum", "1"], "--momentum 1 must be in [0, 1)" },
        { [.. Moons, "--optimizer", "adam", "--momentum", "0.9"], "--momentum applies to sgd and rmsprop" },
        { [.. Moons, "--optimizer", "lbfgs"], "lbfgs" },
        { [.. Moons, "--weight-decay", "-1"], "--weight-decay -1" },
        { [.. Moons, "--clip-norm", "0"], "--clip-norm 0" },
        { [.. Moons, "--clip-value", "-2"], "--clip-value -2" },
        { [.. Moons, "--lr-schedule", "cosine"], "--lr-schedule 'cosine' is not understood" },
        { [.. Moons, "--lr-schedule", "step:0:0.1"], "the step size '0' must be an integer ≥ 1" },
        { [.. Moons, "--lr-schedule", "exp:-1"], "gamma '-1'" },
        { [.. Moons, "--threads", "0"], "--threads 0 must be in [1, 1024]" },
        { [.. Moons, "--eval-every", "0"], "--eval-every 0" },
        { [.. Moons, "--target-accuracy", "1.5"], "--target-accuracy 1.5 must be in (0, 1]" },
        { [.. Moons, "--checkpoint-every", "5"], "--checkpoint-every needs --checkpoint" },
        { [.. Moons, "--resume", "/nonexistent/ckpt.safetensors"], "--resume '/nonexistent/ckpt.safetensors': the checkpoint does not exist" },
        { [.. Moons, "--on-nan", "ignore"], "ignore" },
        { [.. Moons, "--save", "/nonexistent-dir/m.safetensors"], "--save '/nonexistent-dir/m.safetensors': the directory" },
        { [.. Moons, "--soak-minutes", "0"], "--soak-minutes 0" },
        { [.. Moons, "--val-split", "1"], "--val-split 1 must be in [0, 1)" },
        { ["train", "--dataset", "cifar10"], "--dataset 'cifar10' is unknown" },
        { ["train", "--dataset", "/nonexistent/data.csv"], "the CSV file does not exist" },
        { ["train", "--model", "lenet", "--dataset", "synthetic-moons"], "--model lenet takes 28×28 grayscale images" },
        { ["train", "--model", "lenet", "--hidden", "10"], "--hidden applies to --model mlp only" },
        { [.. Moons, "--epochs", "many"], "'many'" },
        { [.. Moons, "--no-such-option"], "--no-such-option" },
        { [.. Moons, "--bias-before-bn", "--no-bias-before-bn"], "contradict" },
    };

    [Theory]
    [MemberData(nameof(TrainCases))]
    public void TrainRejects(string[] args, string expected) => AssertOneLineError(args, expected);

    [Fact]
    public void TrainRejectsAnArchitectureWhoseShapesDoNotFitTheData()
    {
        string arch = Path.Combine(_folder, "arch.json");
        File.WriteAllText(arch, NormSharp.Serialization.ArchitectureJson.Serialize(NormSharp.Models.ModelZoo.Mlp(5, [4], 2)));
        AssertOneLineError(["train", "--dataset", "synthetic-moons", "--model", arch, "--steps", "1"], "does not accept 'synthetic-moons' examples of shape [2]");
        File.WriteAllText(arch, NormSharp.Serialization.ArchitectureJson.Serialize(NormSharp.Models.ModelZoo.Mlp(2, [4], 3)));
        AssertOneLineError(["train", "--dataset", "synthetic-moons", "--model", arch, "--steps", "1"], "needs [batch, 2] class scores");
        File.WriteAllText(arch, "{\"format\": \"normsharp-architecture\", \"version\": 1, \"model\": {\"type\": \"Transformer\"}}");
        AssertOneLineError(["train", "--dataset", "synthetic-moons", "--model", arch, "--steps", "1"], "unknown layer type 'Transformer'");
        File.WriteAllText(arch, "{\"format\": \"normsharp-architecture\", \"version\": 1, \"model\": {\"type\": \"Dense\", \"args\": {\"inFeatures\": 2000000, \"outFeatures\": 1000000}}}");
        AssertOneLineError(["train", "--dataset", "synthetic-moons", "--model", arch, "--steps", "1"], "more than the limit");
    }

    [Fact]
    public void TrainRejectsACsvFileThatIsNotADataset()
    {
        string csv = Path.Combine(_folder, "bad.csv");
        File.WriteAllText(csv, "a,b,label\n1,2,x\n3,oops,y\n");
        AssertOneLineError(["train", "--dataset", csv, "--hidden", "4", "--steps", "1"], "line 3: column 'b' (1): 'oops' is not a number");
    }

    [Fact]
    public void TrainRejectsACheckpointOfAnotherRun()
    {
        string ckpt = Path.Combine(_folder, "c.safetensors");
        var (code, _, error) = CliRunner.Run([.. Moons, "--checkpoint", ckpt, "--quiet"]);
        Assert.True(code == 0, error);
        AssertOneLineError(["train", "--dataset", "synthetic-moons", "--hidden", "16", "--steps", "4", "--resume", ckpt], "--resume: checkpoint");
        File.WriteAllBytes(ckpt, [1, 2, 3]);
        AssertOneLineError([.. Moons, "--resume", ckpt], "too short for the 8-byte header length");
    }

    public static TheoryData<string[], string> OtherCommandCases() => new()
    {
        { ["data", "show", "mnist", "--index", "-1", "--out", "/tmp/x.png"], "--index -1 is outside" },
        { ["data", "show", "mnist", "--index", "0", "--out", "/tmp/x.png", "--scale", "0"], "--scale 0 must be in [1, 64]" },
        { ["data", "show", "mnist"], "--index" },
        { ["data", "info", "cifar10"], "cifar10" },
        { ["data", "fetch"], "fetch" },
        { ["reproduce", "nosuch", "--out", "/tmp/r"], "nosuch" },
        { ["reproduce", "distributions", "--out", "/tmp/r", "--threads", "0"], "--threads must be at least 1" },
        { ["reproduce", "distributions"], "--out" },
        { ["frobnicate"], "frobnicate" },
    };

    [Theory]
    [MemberData(nameof(OtherCommandCases))]
    public void DataAndReproduceReject(string[] args, string expected) => AssertOneLineError(args, expected);

    private static void AssertOneLineError(string[] args, string expected)
    {
        var (code, output, error) = CliRunner.Run(args);
        string all = output + error;
        Assert.True(code == 2, $"exit {code} for {string.Join(' ', args)}: {all}");
        var lines = all.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line, got {lines.Length}: {all}");
        Assert.Contains(expected, lines[0]);
    }
}

using NormSharp.Kernels;
using NormSharp.Serialization;

namespace NormSharp.Tests.Reliability;

/// <summary><c>normsharp train</c> in-process on the two-moons toy: outputs, resume, numeric faults.</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // redirects Console, sets the thread count
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("normsharp-train-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string F(string name) => Path.Combine(_folder, name);

    private static readonly string[] Run = ["train", "--dataset", "synthetic-moons", "--hidden", "16,16", "--bn", "--batch-size", "32",
        "--optimizer", "adam", "--lr", "0.01", "--lr-schedule", "step:1:0.5", "--threads", "1", "--seed", "3"];

    [Fact]
    public void TrainsAndWritesMetricsPlotAndModel()
    {
        var (code, output, error) = CliRunner.Run([.. Run, "--epochs", "3", "--metrics", F("m.csv"), "--plot", F("p.png"), "--save", F("m.safetensors"),
            "--save-initial", F("init.safetensors"), "--target-accuracy", "0.999"]);
        Assert.True(code == 0, output + error);
        Assert.Matches(@"Epoch 1/3 - \d+\.\ds - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}", output);
        Assert.Contains("Epoch 3/3", output);
        Assert.Contains("target not reached", output);
        var rows = File.ReadAllLines(F("m.csv"));
        Assert.Equal("step,epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,elapsed_s,examples_per_s", rows[0]);
        Assert.Equal(4, rows.Length);
        Assert.StartsWith("96,3,", rows[3]); // 1000 examples in batches of 32: 32 batches per epoch (the last of 8)
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(F("p.png"))[..4]);
        var model = ModelIO.Load(F("m.safetensors"));
        Assert.Equal(ModelIO.Load(F("init.safetensors")).StateDict().Keys, model.StateDict().Keys);
    }

    [Fact]
    public void ResumingFromTheFinalCheckpointOfAShorterRunIsBitIdentical()
    {
        Assert.Equal(0, CliRunner.Run([.. Run, "--steps", "70", "--save", F("straight.safetensors"), "--quiet"]).Code);
        var first = CliRunner.Run([.. Run, "--checkpoint", F("c.safetensors"), "--checkpoint-every", "7", "--steps", "45",
            "--metrics", F("m.csv"), "--quiet"]);
        Assert.True(first.Code == 0, first.Error);
        Assert.Equal(45, Checkpoint.ReadPosition(F("c.safetensors")).Step);
        var second = CliRunner.Run([.. Run, "--steps", "70", "--resume", F("c.safetensors"), "--save", F("resumed.safetensors"), "--metrics", F("m.csv")]);
        Assert.True(second.Code == 0, second.Error);
        Assert.Contains("resumed at step 45", second.Output);
        TrainRunFiles.AssertSameWeights(F("straight.safetensors"), F("resumed.safetensors"));
        var steps = File.ReadAllLines(F("m.csv")).Skip(1).Select(l => int.Parse(l.Split(',')[0])).ToArray();
        Assert.Equal([32, 45, 64, 70], steps); // the first run's rows kept, the resumed run's appended
    }

    [Fact]
    public void ANumericFaultStopsNamingStepAndLayerAndKeepsTheLastGoodCheckpoint()
    {
        var (code, _, error) = CliRunner.Run(["train", "--dataset", "synthetic-moons", "--hidden", "16,16", "--steps", "50", "--lr", "1e30",
            "--threads", "1", "--checkpoint", F("c.safetensors"), "--checkpoint-every", "1", "--metrics", F("m.csv")]);
        Assert.Equal(1, code);
        Assert.Matches(@"^error: non-finite loss \(\S+\) at step 2 \(epoch 1, batch 2\): it first appears in the output of layer \d \(\w+\).*the last good checkpoint '.*c\.safetensors' \(step 1\) is kept\n$", error);
        Assert.All(Checkpoint.LoadModel(F("c.safetensors")).StateDict(), kv => Assert.True(FiniteCheck.AllFinite(kv.Value.Span), kv.Key));
        Assert.True(File.Exists(F("m.csv")));
    }

    [Fact]
    public void SkipBatchGivesUpWhenEveryBatchIsNonFinite()
    {
        var (code, _, error) = CliRunner.Run(["train", "--dataset", "synthetic-moons", "--hidden", "16", "--steps", "50", "--lr", "1e30",
            "--threads", "1", "--on-nan", "skip-batch"]);
        Assert.Equal(1, code);
        Assert.Contains("101 batches in a row were non-finite, so skipping cannot help", error);
    }

    [Fact]
    public void TrainsOnACsvFileWithAHoldOut()
    {
        var rng = new Rng(2);
        var lines = new List<string> { "x,y,label" };
        for (int i = 0; i < 200; i++)
        {
            float x = rng.NextGaussian(), y = rng.NextGaussian();
            lines.Add(FormattableString.Invariant($"{x},{y},{(x + y > 0 ? "up" : "down")}"));
        }
        File.WriteAllLines(F("d.csv"), lines);
        var (code, output, error) = CliRunner.Run(["train", "--dataset", F("d.csv"), "--val-split", "0.25", "--hidden", "8",
            "--lr", "0.1", "--threads", "1", "--eval-every", "20", "--steps", "100"]);
        Assert.True(code == 0, output + error);
        Assert.Contains("Step 20/100 (epoch 7)", output);
        Assert.Contains("(150 examples, validation 50)", output);
    }
}

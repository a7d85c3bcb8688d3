using System.Diagnostics;
using NormSharp.Serialization;
using Xunit.Abstractions;

namespace NormSharp.Tests.Reliability;

/// <summary>
/// Issue #7, interruption: the built CLI runs as a child process. Ctrl-C (SIGINT) saves a checkpoint and
/// exits with 130; SIGKILL at random moments never leaves an unreadable checkpoint; resuming either
/// finishes bit-identically to an uninterrupted run. Trials: 2 here, <c>NORMSHARP_KILL_TRIALS</c> for the long run.
/// </summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // child processes want the cores
public sealed class InterruptionTests(ITestOutputHelper output, InterruptionTests.ReferenceRun referenceRun) : IDisposable, IClassFixture<InterruptionTests.ReferenceRun>
{
    /// <summary>The uninterrupted run both tests compare with, trained once.</summary>
    public sealed class ReferenceRun : IDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("normsharp-reference-").FullName;
        private readonly Lazy<string> _path;

        public ReferenceRun() => _path = new Lazy<string>(() =>
        {
            string path = System.IO.Path.Combine(_folder, "reference.safetensors");
            var (code, _, error) = CliRunner.RunProcess(_folder, [.. Options, "--save", path]);
            Assert.True(code == 0, error);
            return path;
        });

        public string Path => _path.Value;

        public void Dispose() => Directory.Delete(_folder, recursive: true);
    }

    private readonly string _folder = Directory.CreateTempSubdirectory("normsharp-kill-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string F(string name) => System.IO.Path.Combine(_folder, name);

    private ReferenceRun Reference => referenceRun;

    // Small but long enough to be interrupted (≈ 1–2 s): BN, Adam and a schedule, so every kind of state must survive.
    internal static readonly string[] Options = ["train", "--dataset", "synthetic-moons", "--hidden", "32,32", "--bn", "--batch-size", "16",
        "--optimizer", "adam", "--lr", "0.005", "--lr-schedule", "exp:0.9", "--steps", "1000", "--threads", "1", "--seed", "11", "--quiet"];

    private static int Trials => int.TryParse(Environment.GetEnvironmentVariable("NORMSHARP_KILL_TRIALS"), out int n) && n > 0 ? n : 2;

    [Fact]
    public async Task SigintSavesACheckpointAndResumeFinishesBitIdentically()
    {
        string reference = Reference.Path;
        using var child = CliRunner.Start(_folder, [.. Options, "--checkpoint", F("c.safetensors"), "--checkpoint-every", "50"]);
        var error = child.StandardError.ReadToEndAsync();
        while (!File.Exists(F("c.safetensors")) && !child.HasExited) Thread.Sleep(2); // training is live
        using (var kill = Process.Start("kill", ["-INT", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(child.WaitForExit(60_000), "the child did not stop after SIGINT");
        string stderr = await error;
        Assert.True(child.ExitCode == 130, $"exit {child.ExitCode}: {stderr}");
        Assert.Contains("interrupted: checkpoint of step", stderr);
        long step = Checkpoint.ReadPosition(F("c.safetensors")).Step;
        Assert.InRange(step, 50, 999);
        var resumed = CliRunner.RunProcess(_folder, [.. Options, "--resume", F("c.safetensors"), "--save", F("resumed.safetensors")]);
        Assert.True(resumed.Code == 0, resumed.Error);
        TrainRunFiles.AssertSameWeights(reference, F("resumed.safetensors"));
        output.WriteLine($"SIGINT at step {step}, resumed bit-identically");
    }

    [Fact]
    public void SigkillAtRandomMomentsNeverCorruptsTheCheckpoint()
    {
        string reference = Reference.Path;
        var rng = new Rng(2024);
        var stopped = new List<long>();
        for (int trial = 0; trial < Trials; trial++)
        {
            string ckpt = F($"k{trial}.safetensors");
            using (var child = CliRunner.Start(_folder, [.. Options, "--checkpoint", ckpt, "--checkpoint-every", "5"]))
            {
                while (!File.Exists(ckpt) && !child.HasExited) Thread.Sleep(5);
                Thread.Sleep(rng.NextInt(600));
                child.Kill(); // SIGKILL: no handler runs
                child.WaitForExit();
            }
            // Whatever instant the kill hit (mid-write included), the checkpoint is a complete, loadable one.
            long step = Checkpoint.ReadPosition(ckpt).Step;
            stopped.Add(step);
            var resumed = CliRunner.RunProcess(_folder, [.. Options, "--resume", ckpt, "--checkpoint", ckpt, "--checkpoint-every", "5", "--save", F($"r{trial}.safetensors")]);
            Assert.True(resumed.Code == 0, $"trial {trial} (killed at step ≥ {step}): {resumed.Error}");
            TrainRunFiles.AssertSameWeights(reference, F($"r{trial}.safetensors"));
            AtomicFile.CleanUpTemporaries(ckpt);
        }
        output.WriteLine($"{Trials} SIGKILL trials, checkpoints at steps {string.Join(", ", stopped)}: all loadable, all resumed bit-identically");
    }
}

using System.Diagnostics;
using NormSharp.Serialization;

namespace NormSharp.Tests.Serialization;

/// <summary>
/// SIGKILL at random moments of a training run that checkpoints after every step never leaves an unreadable
/// checkpoint: the child (tests/NormSharp.CheckpointChild) writes through <see cref="AtomicFile"/>, so the file
/// at the path is always a complete earlier or later checkpoint.
/// </summary>
public sealed class CheckpointKillTests
{
    private const int Rounds = 6;

    [Fact]
    public void KillNineNeverLeavesAnUnreadableCheckpoint()
    {
        string child = Path.Combine(AppContext.BaseDirectory, "NormSharp.CheckpointChild.dll");
        Assert.True(File.Exists(child), $"{child} is missing (built with the test project)");
        int seed = Environment.TickCount;
        var random = new Random(seed);
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("run.safetensors");
        int killedMidWrite = 0;

        for (int round = 0; round < Rounds; round++)
        {
            int delay = random.Next(0, 120);
            long saved = RunAndKill(child, path, delay);
            if (AtomicFile.CleanUpTemporaries(path) > 0) killedMidWrite++; // the kill landed inside a write

            string context = $"round {round} (seed {seed}, killed {delay} ms after save {saved})";
            TrainingPositionFits(path, context);
            var model = Checkpoint.LoadModel(path);
            model.Eval();
            var output = model.Forward(PersistenceModels.Input((ulong)round, 3, 784)).ToArray();
            Assert.True(output.All(float.IsFinite), $"{context}: the restored model predicts non-finite values");
        }
        // Not asserted (timing-dependent), but recorded for whoever reads a failure: how often the kill hit a write.
        Console.WriteLine($"kill -9 test: {killedMidWrite} of {Rounds} kills left a partial temporary file beside the checkpoint");
    }

    private static void TrainingPositionFits(string path, string context)
    {
        var position = Checkpoint.ReadPosition(path);
        Assert.True(position.Step >= 1 && position.Epoch >= 1, $"{context}: implausible position {position}");
    }

    /// <summary>Starts the child, waits for its first completed save, lets it run <paramref name="delayMs"/> more and SIGKILLs it.</summary>
    private static long RunAndKill(string child, string path, int delayMs)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(path);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the checkpoint child");
        var stderr = process.StandardError.ReadToEndAsync();
        // Keep draining stdout after the first save, so the child never blocks on a full pipe.
        var firstSave = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
                if (line.StartsWith("saved ", StringComparison.Ordinal))
                    firstSave.TrySetResult(long.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture));
            firstSave.TrySetResult(0);
        });
        long saved;
        try
        {
            if (!firstSave.Task.Wait(TimeSpan.FromSeconds(60)))
                throw new TimeoutException("the checkpoint child wrote no checkpoint within 60 s");
            saved = firstSave.Task.Result;
            if (saved > 0) Thread.Sleep(delayMs);
        }
        finally
        {
            if (!process.HasExited) process.Kill(); // SIGKILL on Unix: no finally blocks, no flush, no cleanup in the child
            process.WaitForExit();
        }
        reader.Wait();
        Assert.True(saved > 0, $"the checkpoint child stopped before its first save (exit code {process.ExitCode}): {stderr.Result}");
        return saved;
    }
}

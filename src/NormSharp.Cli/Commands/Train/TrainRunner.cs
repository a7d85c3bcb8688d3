using System.Globalization;
using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// Runs <c>normsharp train</c>: data, model, optimizer, optional resume, then <see cref="Trainer.Fit"/>
/// with the console, checkpoint, interrupt, target-accuracy, soak and memory callbacks; finally the model,
/// metrics and plot. Exit codes: 0 done, 1 failed (numeric fault, data or I/O error), 2 bad argument,
/// 130 interrupted (checkpoint saved).
/// </summary>
internal static class TrainRunner
{
    public const int Interrupted = 130;

    public static int Run(TrainSettings s)
    {
        try
        {
            return RunChecked(s);
        }
        catch (TrainArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
        catch (Exception e) when (e is TrainRuntimeException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static int RunChecked(TrainSettings s)
    {
        if (s.Threads is { } threads) ParallelRunner.Threads = threads;
        var custom = TrainModelFactory.ReadArchitecture(s);
        var data = TrainData.Load(s, TrainModelFactory.NeedsImages(s, custom));
        var model = TrainModelFactory.Build(s, custom, data);
        bool batchNorm = model.NamedModules().Any(m => m.Module is BatchNormBase);
        if (batchNorm && s.BatchSize < 2)
            throw new TrainArgumentException($"--batch-size {s.BatchSize}: '{s.Model}' has Batch Normalization, which cannot normalise a batch of one example");
        if (batchNorm && data.Train.Count < 2)
            throw new TrainArgumentException($"Batch Normalization needs at least 2 training examples; '{s.Dataset}' has {data.Train.Count}");
        // A last batch of one example cannot be batch-normalised (PyTorch raises too): drop it.
        bool dropLast = batchNorm && data.Train.Count % s.BatchSize == 1;
        var loader = new DataLoader(data.Train, s.BatchSize, shuffle: true, seed: s.Seed, dropLast: dropLast);
        var optimizer = TrainOptimizerFactory.Create(s, model);
        var schedule = TrainOptimizerFactory.CreateSchedule(s, optimizer);
        var trainer = new Trainer(model, new CrossEntropyLoss(), optimizer) { ClipGradNorm = s.ClipNorm, ClipGradValue = s.ClipValue };
        if (s.SaveInitialPath is { } initial) ModelIO.Save(model, initial);

        TrainingPosition? resume = null;
        if (s.ResumePath is { } resumePath)
        {
            try
            {
                resume = Checkpoint.Load(resumePath, trainer, loader, schedule);
            }
            catch (Exception e) when (e is InvalidDataException or SafetensorsFormatException)
            {
                throw new TrainArgumentException($"--resume: {e.Message}");
            }
        }

        var console = new TrainConsole(s, loader);
        // Only the evaluation records are kept (a few per epoch): HistoryRecorder's per-step losses would grow
        // by 8 B a step, which the 30-minute soak run showed as +1 MB.
        var records = new List<FitRecord>();
        var callbacks = new List<ITrainingCallback> { new ProgressCallback(onEvaluation: (_, record) => records.Add(record)), console };
        if (s.CheckpointPath is { } ckpt && s.CheckpointEvery is { } every) callbacks.Add(new CheckpointCallback(ckpt, loader, every, schedule));
        StopAtTargetAccuracy? target = s.TargetAccuracy is { } t ? new StopAtTargetAccuracy(t) : null;
        if (target is not null) callbacks.Add(target);
        using var memory = s.MemoryLogPath is { } memoryPath ? new MemoryLog(memoryPath, s.SoakMinutes is null ? 1.0 : 5.0) : null;
        if (memory is not null) callbacks.Add(memory);
        if (s.SoakMinutes is { } minutes)
            callbacks.Add(new ProgressCallback(onStepEnd: p =>
            {
                if (p.ElapsedSeconds >= minutes * 60) p.RequestStop($"soak of {minutes} min done");
            }));
        using var interrupt = new InterruptCheckpoint(s.CheckpointPath ?? "normsharp-interrupted.ckpt.safetensors", loader, schedule);
        callbacks.Add(interrupt);

        var options = new FitOptions
        {
            Epochs = s.SoakMinutes is not null ? int.MaxValue : s.Epochs,
            MaxSteps = s.SoakMinutes is not null ? null : s.Steps,
            Validation = data.Validation,
            EvaluateEverySteps = s.EvalEvery,
            Callbacks = callbacks,
            Scheduler = schedule,
            Seed = s.Seed,
            ResumeFrom = resume,
            OnNonFinite = s.OnNonFinite,
        };
        var c = CultureInfo.InvariantCulture;
        string validation = data.Validation is { } v ? string.Create(c, $", validation {v.Count}") : "";
        string resumed = resume is not null ? string.Create(c, $", resumed at step {resume.Step}") : "";
        console.Line(string.Create(c, $"{Describe(s, model)} on {data.Train.Name} ({data.Train.Count} examples{validation}), ") +
                     string.Create(c, $"{s.Optimizer} lr {optimizer.LearningRate:G4}, batch {s.BatchSize}, {ParallelRunner.Threads} thread{(ParallelRunner.Threads == 1 ? "" : "s")}, seed {s.Seed}{resumed}"));
        memory?.Sample(resume?.Step ?? 0);

        FitResult result;
        try
        {
            var fitOptions = options;
            result = console.Run(() => trainer.Fit(loader, fitOptions));
        }
        catch (NonFiniteTrainingException e)
        {
            WriteOutputs(s, records, resume, model);
            Console.Error.WriteLine("error: " + e.Message + "; " + KeptCheckpoint(s));
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // A layer refusing its input mid-run (shapes the up-front checks could not foresee).
            Console.Error.WriteLine($"error: training failed: {e.Message.ReplaceLineEndings(" ")}; {KeptCheckpoint(s)}");
            return 1;
        }
        memory?.Sample(result.Steps);
        WriteOutputs(s, records, resume, model);
        if (interrupt.SavedAtStep is { } saved)
        {
            Console.Error.WriteLine($"interrupted: checkpoint of step {saved} saved to {interrupt.Path}; continue with the same options and --resume {interrupt.Path}");
            return Interrupted;
        }
        if (s.CheckpointPath is { } final) Checkpoint.Save(final, trainer, loader, TrainingPosition.After(result, loader), schedule);
        if (s.SavePath is { } save) ModelIO.Save(model, save, new Dictionary<string, string> { ["normsharp.dataset"] = s.Dataset });
        PrintSummary(s, result, target, memory);
        return 0;
    }

    private static void WriteOutputs(TrainSettings s, IReadOnlyList<FitRecord> records, TrainingPosition? resume, Module model)
    {
        if (s.MetricsPath is { } metrics) TrainReport.WriteMetrics(metrics, records, resume?.Step);
        if (s.PlotPath is { } plot && records.Count > 0) TrainReport.WritePlot(plot, records, $"{Describe(s, model)} on {s.Dataset}");
    }

    private static string KeptCheckpoint(TrainSettings s)
    {
        if (s.CheckpointPath is not { } path || !File.Exists(path)) return "no checkpoint had been written";
        try
        {
            return $"the last good checkpoint '{path}' (step {Checkpoint.ReadPosition(path).Step}) is kept";
        }
        catch (Exception e) when (e is InvalidDataException or SafetensorsFormatException)
        {
            return $"the file '{path}' is not a readable checkpoint: {e.Message}";
        }
    }

    private static void PrintSummary(TrainSettings s, FitResult result, StopAtTargetAccuracy? target, MemoryLog? memory)
    {
        var c = CultureInfo.InvariantCulture;
        var final = result.Final;
        string accuracy = final?.ValidationAccuracy is { } va ? string.Create(c, $", val_accuracy {va:F4}")
            : final?.TrainAccuracy is { } ta ? string.Create(c, $", accuracy {ta:F4}") : "";
        string line = string.Create(c, $"done: {result.Steps} steps in {result.ElapsedSeconds:F1}s ({result.ExamplesPerSecond:F0} examples/s){accuracy}");
        if (result.SkippedBatches > 0) line += string.Create(c, $", {result.SkippedBatches} batches skipped (non-finite)");
        if (target is not null) line += target.StepsToTarget is { } at ? string.Create(c, $", target {target.Target:P1} reached at step {at}") : ", target not reached";
        if (memory is { First: { } first, Last: { } last })
            line += string.Create(c, $", memory: live managed {first.Managed / 1e6:F1} → {last.Managed / 1e6:F1} MB, working set {first.WorkingSet / 1e6:F1} → {last.WorkingSet / 1e6:F1} MB ({memory.Samples} samples)");
        if (s.SavePath is { } save) line += $"; model saved to {save}";
        Console.WriteLine(line);
    }

    internal static string Describe(TrainSettings s, Module model) => s.Model switch
    {
        "mlp" => $"MLP {string.Join("-", s.Hidden)}{(s.BatchNorm ? " + BN" : "")}",
        "lenet" => $"LeNet-5{(s.BatchNorm ? " + BN" : "")}",
        _ => $"{Path.GetFileName(s.Model)} ({model.Describe()})",
    };
}

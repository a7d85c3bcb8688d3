using System.Globalization;
using NormSharp.Data;
using NormSharp.Distributed;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// <c>mpirun -np N normsharp train … --distributed</c>: the run of <see cref="TrainRunner"/> (same data,
/// model, optimizer, schedule, seed and batch order) made data-parallel with the library's
/// <see cref="DistributedTrainer"/>: each rank reads only its shard of every global batch
/// (<see cref="ShardedBatchLoader"/>), the gradients are summed in buckets, and every rank calls the same
/// <see cref="Optimizer"/> on the same summed gradient — so any of the train command's optimizers works.
/// BN layers become <see cref="SyncBatchNorm1d"/>/2d unless <c>--no-sync-bn</c>.
/// </summary>
/// <remarks>
/// <para>Rank 0 alone prints the epoch lines, evaluates the validation set (eval mode communicates
/// nothing), and writes --metrics, --plot, --save, --save-initial and --checkpoint; the other ranks wait for each
/// file (and stop with it when the write fails). A checkpoint holds the global loader's state, never a
/// rank's, so <c>--resume</c> works with any number of ranks (and with plain <c>train</c>).</para>
/// <para>Not available here (refused by <see cref="TrainValidation"/>): --clip-value, --on-nan skip-batch,
/// --soak-minutes, --memory-log, and the Ctrl-C checkpoint. A non-finite global loss stops every rank.</para>
/// </remarks>
internal sealed class TrainDistributedRunner(TrainSettings s, ICommunicator communicator)
{
    private bool IsRoot => communicator.Rank == 0;

    public int Run()
    {
        try
        {
            return RunChecked();
        }
        catch (TrainArgumentException e)
        {
            return Fail(e.Message, 2);
        }
        catch (Exception e) when (e is TrainRuntimeException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return Fail(e.Message, 1);
        }
    }

    private int RunChecked()
    {
        var custom = TrainModelFactory.ReadArchitecture(s);
        var data = TrainData.Load(s, TrainModelFactory.NeedsImages(s, custom));
        var plain = TrainModelFactory.Build(s, custom, data);
        bool batchNorm = plain.NamedModules().Any(m => m.Module is BatchNormBase);
        int size = communicator.Size;
        if (s.BatchSize < size)
            throw new TrainArgumentException($"--batch-size {s.BatchSize} is the global batch: it cannot be split over {size} ranks (give at least one example each)");
        if (batchNorm && data.Train.Count < 2)
            throw new TrainArgumentException($"Batch Normalization needs at least 2 training examples; '{s.Dataset}' has {data.Train.Count}");
        // As train: a last batch of one example cannot be batch-normalised; here also one too short to give every rank
        // an example (or, with per-rank BN, two).
        int tail = data.Train.Count % s.BatchSize;
        int shortest = batchNorm ? (s.NoSyncBatchNorm ? 2 * size : Math.Max(2, size)) : size;
        bool dropLast = tail != 0 && tail < shortest;
        if (data.Train.Count < s.BatchSize && dropLast)
            throw new TrainArgumentException($"--batch-size {s.BatchSize}: '{s.Dataset}' has only {data.Train.Count} training examples for {size} ranks");

        // SyncBN swaps the BN objects, so the optimizer is built afterwards; `plain` keeps the BatchNorm1d/2d
        // tree (the other layers are shared) for --save, so the saved model loads without MPI.
        var model = batchNorm && !s.NoSyncBatchNorm ? SyncBatchNorm.Convert(plain, communicator) : plain;
        var optimizer = TrainOptimizerFactory.Create(s, model);
        var schedule = TrainOptimizerFactory.CreateSchedule(s, optimizer);
        var trainer = new DistributedTrainer(model, new CrossEntropyLoss(), optimizer, communicator) { ClipGradNorm = s.ClipNorm };
        var loader = new DataLoader(data.Train, s.BatchSize, shuffle: true, seed: s.Seed, dropLast: dropLast);
        var shards = new ShardedBatchLoader(loader, communicator.Rank, size);
        if (s.SaveInitialPath is { } initial) OnRoot(() => SavePlain(plain, model, initial));

        TrainingPosition? resume = null;
        if (s.ResumePath is { } resumePath)
        {
            try
            {
                resume = Checkpoint.Load(resumePath, trainer.Trainer, loader, schedule);
            }
            catch (Exception e) when (e is InvalidDataException or SafetensorsFormatException)
            {
                throw new TrainArgumentException($"--resume: {e.Message}");
            }
        }
        var c = CultureInfo.InvariantCulture;
        Line(string.Create(c, $"{size} rank(s) × {ParallelRunner.Threads} thread(s), {TrainRunner.Describe(s, plain)} on {data.Train.Name} ({data.Train.Count} examples), ") +
             string.Create(c, $"{s.Optimizer} lr {optimizer.LearningRate:G4}, global batch {s.BatchSize}, {SyncBatchNorm.Count(model)} SyncBatchNorm layer(s), ") +
             string.Create(c, $"{trainer.AllreduceCalls} gradient allreduce call(s) of {trainer.AllreducedElements:N0} floats per step, seed {s.Seed}") +
             (resume is not null ? string.Create(c, $", resumed at step {resume.Step}") : ""));

        var loop = new DistributedFitLoop(s, trainer, shards, schedule, data.Validation, IsRoot, Line, CheckpointAt);
        var result = loop.Run(resume);
        if (s.MetricsPath is not null || s.PlotPath is not null)
            OnRoot(() =>
            {
                if (s.MetricsPath is { } metrics) TrainReport.WriteMetrics(metrics, loop.Records, resume?.Step);
                if (s.PlotPath is { } plot && loop.Records.Count > 0) TrainReport.WritePlot(plot, loop.Records, $"{TrainRunner.Describe(s, plain)} on {s.Dataset}, {size} rank(s)");
            });
        if (result.NonFinite)
        {
            string kept = s.CheckpointPath is { } path && File.Exists(path) ? $"the last checkpoint '{path}' is kept" : "no checkpoint had been written";
            return Fail($"the global loss of step {result.Position.Step} is not finite; {kept}", 1);
        }
        if (s.CheckpointPath is { } final) CheckpointAt(result.Position);
        if (s.SavePath is { } save) OnRoot(() => SavePlain(plain, model, save));
        if (result.Last is { } last && IsRoot) // the final line, printed even with --quiet (as train)
            Console.WriteLine(string.Create(c, $"done: {result.Steps} steps on {size} rank(s) in {result.Seconds:F1}s ({result.Examples / Math.Max(result.Seconds, 1e-9):F0} examples/s)") +
                 (last.ValidationAccuracy is { } va ? string.Create(c, $", val_accuracy {va:F4}") : last.TrainAccuracy is { } ta ? string.Create(c, $", accuracy {ta:F4}") : "") +
                 (result.StopReason is { } why ? $", {why}" : "") + (s.SavePath is { } saved ? $"; model saved to {saved}" : ""));
        return 0;

        void CheckpointAt(TrainingPosition position) => OnRoot(() => Checkpoint.Save(s.CheckpointPath!, trainer.Trainer, loader, position, schedule));
    }

    /// <summary>Rank 0 does <paramref name="write"/> and tells every rank whether it worked (a broadcast, so the
    /// others wait for the file): a failed write ends every rank with exit code 1 instead of leaving them
    /// blocked in the next collective.</summary>
    private void OnRoot(Action write)
    {
        string? failure = null;
        if (IsRoot)
        {
            try { write(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { failure = e.Message; }
        }
        var failed = new float[] { failure is null ? 0 : 1 };
        communicator.Broadcast(failed);
        if (failed[0] != 0) throw new TrainRuntimeException(failure ?? "rank 0 could not write its output file");
    }

    /// <summary>Saves the model with plain BatchNorm layers holding the trained (synchronized) state.</summary>
    private void SavePlain(Module plain, Module trained, string path)
    {
        if (!ReferenceEquals(plain, trained)) plain.LoadStateDict(trained.StateDict());
        ModelIO.Save(plain, path, new Dictionary<string, string> { ["normsharp.dataset"] = s.Dataset, ["normsharp.ranks"] = communicator.Size.ToString(CultureInfo.InvariantCulture) });
    }

    private void Line(string text)
    {
        if (IsRoot && !s.Quiet) Console.WriteLine(text);
    }

    private int Fail(string message, int code)
    {
        if (IsRoot) Console.Error.WriteLine("error: " + message);
        return code;
    }
}

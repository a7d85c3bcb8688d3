using System.Diagnostics;
using System.Globalization;
using NormSharp.Cli.Reporting;
using NormSharp.Data;
using NormSharp.Distributed;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Cli.Commands;

/// <summary>
/// One rank's part of <c>distributed train</c>: the same model, data and batch order on every rank
/// (all from <see cref="DistributedTrainSettings.Seed"/>), its shard of each global batch, a
/// <see cref="DistributedTrainer"/> step; rank 0 alone prints, writes metrics, the plot and checkpoints.
/// </summary>
/// <remarks>Checkpoints hold the global loader's state (<see cref="ShardedBatchLoader.Global"/>), never a
/// rank's, so <c>--resume</c> works with any number of ranks: every rank reads the same file.</remarks>
internal sealed class DistributedTrainingRun(DistributedTrainSettings settings, ICommunicator communicator)
{
    private bool IsRoot => communicator.Rank == 0;

    public int Run()
    {
        var split = LoadData(settings);
        var train = split.Train;
        if (train.Count < settings.BatchSize)
            return Fail($"the training set has {train.Count} examples, fewer than one global batch of {settings.BatchSize}");
        if (settings.BatchSize < communicator.Size)
            return Fail($"--batch-size {settings.BatchSize} is smaller than the {communicator.Size} ranks");
        Module model = DistributedModels.Build(settings.Model, settings.Hidden, settings.BatchNorm, train.ExampleShape, train.NumClasses, settings.Seed, settings.Activation);
        if (settings.BatchNorm && settings.SyncBatchNorm) model = SyncBatchNorm.Convert(model, communicator);
        var optimizer = new Sgd(model.NamedParameters().Select(p => p.Parameter), settings.LearningRate, settings.Momentum);
        var trainer = new DistributedTrainer(model, new CrossEntropyLoss(), optimizer, communicator);
        var loader = new DataLoader(train, settings.BatchSize, shuffle: true, seed: settings.Seed, dropLast: true);
        var shards = new ShardedBatchLoader(loader, communicator.Rank, communicator.Size);
        var position = new TrainingPosition(0, 0, 0);
        if (settings.Resume is { } resume)
        {
            try { position = Checkpoint.Load(resume, trainer.Trainer, loader); }
            catch (Exception e) when (e is InvalidDataException or SafetensorsFormatException)
            {
                return Fail(e.Message);
            }
        }
        if (IsRoot)
            Console.WriteLine($"distributed train: {communicator.Size} rank(s) × {ParallelRunner.Threads} thread(s), {settings.Model} on {train.Name} " +
                              $"({train.Count} examples), global batch {settings.BatchSize}, {SyncBatchNorm.Count(model)} SyncBatchNorm layer(s), " +
                              $"{trainer.AllreduceCalls} gradient allreduce call(s) of {trainer.AllreducedElements:N0} floats per step" +
                              (position.Step > 0 ? $", resumed at step {position.Step}" : ""));

        var metrics = new CsvTable("step", "epoch", "loss", "accuracy", "seconds");
        long step = position.Step, firstStep = step, warmup = Math.Min(3, Math.Max(0, (settings.Steps - step) / 4));
        int epoch = position.Epoch, stepInEpoch = position.StepInEpoch;
        long timedFrom = 0, timedExamples = 0;
        double allreduceBefore = 0;
        var clock = Stopwatch.StartNew();
        DistributedStepResult last = default;
        while (step < settings.Steps)
        {
            if (!shards.TryNextShard(out var x, out var y, out int rows))
            {
                shards.StartEpoch();
                epoch++;
                stepInEpoch = 0;
                continue;
            }
            if (step - firstStep == warmup) (timedFrom, allreduceBefore) = (Stopwatch.GetTimestamp(), trainer.GradientAllreduceSeconds);
            last = trainer.TrainStep(x, y, rows);
            step++;
            stepInEpoch++;
            if (step - firstStep > warmup) timedExamples += rows;
            if (IsRoot) metrics.Add(step, epoch, last.Loss, last.Accuracy, clock.Elapsed.TotalSeconds);
            if (settings.SaveEvery is { } every && step % every == 0 && step < settings.Steps) Save(trainer, loader, step, epoch, stepInEpoch);
        }
        double seconds = timedExamples > 0 ? Stopwatch.GetElapsedTime(timedFrom).TotalSeconds : 0;
        if (settings.Save is not null) Save(trainer, loader, step, epoch, stepInEpoch);
        if (!IsRoot) return 0;

        long timedSteps = step - firstStep - warmup;
        if (step > firstStep)
            Console.WriteLine($"step {step}: loss {last.Loss:F4}" + (last.Accuracy is { } a ? $", batch accuracy {a:P1}" : "") +
                              (seconds > 0 ? $"; {timedExamples / seconds:F0} examples/s over {timedSteps} steps after {warmup} warm-up" : ""));
        if (seconds > 0 && communicator.Size > 1)
        {
            double perStep = (trainer.GradientAllreduceSeconds - allreduceBefore) / timedSteps;
            Console.WriteLine($"gradient allreduce: {perStep * 1e3:F2} ms/step of {seconds / timedSteps * 1e3:F1} ms " +
                              $"({trainer.AllreducedElements * 4.0 / perStep / 1e9:F2} GB/s of gradients per rank)");
        }
        if (settings.Evaluate)
        {
            var result = trainer.Trainer.Evaluate(split.Test);
            Console.WriteLine($"test: loss {result.Loss:F4}" + (result.Accuracy is { } acc ? $", accuracy {acc:P2}" : "") + $" over {result.Count} examples");
        }
        if (settings.Output is { } folder) WriteReport(folder, metrics);
        return 0;
    }

    /// <summary>The training and test data of <paramref name="settings"/>, the same on every rank.</summary>
    internal static DatasetSplit LoadData(DistributedTrainSettings settings)
    {
        if (settings.Dataset == "synthetic")
        {
            // Gaussian blobs: 10 classes, centres in [−10, 10]^d, std 15 so that the classes overlap in few dimensions.
            var all = SyntheticData.Blobs(settings.SyntheticExamples, classes: 10, features: settings.SyntheticFeatures, std: 15f, seed: settings.Seed);
            int test = all.Count / 6;
            var order = Enumerable.Range(0, all.Count).ToArray();
            return new DatasetSplit(all.Subset(order.AsSpan(test), "synthetic"), all.Subset(order.AsSpan(0, test), "synthetic-test"));
        }
        var layout = settings.Model == "lenet" ? ImageLayout.Image : ImageLayout.Flatten;
        return DatasetRegistry.Load(settings.Dataset, new DataOptions { DataDirectory = settings.DataDirectory, Layout = layout });
    }

    /// <summary>Rank 0 writes the checkpoint (atomically); the others wait so no rank races ahead of a save.</summary>
    private void Save(DistributedTrainer trainer, DataLoader loader, long step, int epoch, int stepInEpoch)
    {
        if (IsRoot)
        {
            var position = new TrainingPosition(step, epoch, stepInEpoch, stepInEpoch == loader.BatchesPerEpoch);
            Checkpoint.Save(settings.Save!, trainer.Trainer, loader, position);
        }
        communicator.Barrier();
    }

    private static void WriteReport(string folder, CsvTable metrics)
    {
        Directory.CreateDirectory(folder);
        metrics.Save(Path.Combine(folder, "metrics.csv"));
        var steps = metrics.Rows.Select(r => System.Convert.ToDouble(r[0], CultureInfo.InvariantCulture)).ToArray();
        var losses = metrics.Rows.Select(r => System.Convert.ToDouble(r[2], CultureInfo.InvariantCulture)).ToArray();
        var plot = Charts.Line("Training loss (global batch)", "step", "loss", [new Series("loss", steps, losses)]);
        plot.SavePng(Path.Combine(folder, "loss.png"), 900, 560);
    }

    private int Fail(string message)
    {
        if (IsRoot) Console.Error.WriteLine("error: " + message);
        return 1;
    }
}

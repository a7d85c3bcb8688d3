using System.CommandLine;
using System.Globalization;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>mpirun -np N normsharp distributed train …</c>: data-parallel SGD on N ranks (see
/// <see cref="DistributedTrainingRun"/>). Every rank runs this same command line.
/// </summary>
internal static class DistributedTrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "mlp or lenet.", DefaultValueFactory = _ => "mlp" };
        model.AcceptOnlyFromAmong(DistributedModels.Names);
        var hidden = new Option<string>("--hidden") { Description = "mlp hidden widths, comma-separated (the seeds' 7-layer MLP by default).", DefaultValueFactory = _ => "500,400,300,200,100,50,25" };
        var activation = new Option<string>("--activation") { Description = "Hidden activation: " + string.Join(", ", NormSharp.Models.ActivationFactory.Names) + ".", DefaultValueFactory = _ => "relu" };
        activation.AcceptOnlyFromAmong([.. NormSharp.Models.ActivationFactory.Names]);
        var bn = new Option<bool>("--bn") { Description = "BatchNorm after every hidden affine layer." };
        var noSync = new Option<bool>("--no-sync-bn") { Description = "Keep plain BN (each rank normalises with its own shard's statistics) instead of SyncBatchNorm." };
        var batch = new Option<int>("--batch-size") { Description = "Global batch size (split across ranks).", DefaultValueFactory = _ => 500 };
        var steps = new Option<long>("--steps") { Description = "Train until this many optimizer steps in total (a resumed run counts its earlier steps).", DefaultValueFactory = _ => 100 };
        var dataset = new Option<string>("--dataset") { Description = "mnist, fashion-mnist or synthetic (seeded Gaussian blobs).", DefaultValueFactory = _ => "mnist" };
        dataset.AcceptOnlyFromAmong("mnist", "fashion-mnist", "synthetic");
        var examples = new Option<int>("--synthetic-examples") { Description = "Examples in the synthetic dataset.", DefaultValueFactory = _ => 6000 };
        var features = new Option<int>("--synthetic-features") { Description = "Features per synthetic example.", DefaultValueFactory = _ => 784 };
        var lr = new Option<float>("--lr") { Description = "SGD learning rate.", DefaultValueFactory = _ => 0.1f };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => 0.9f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the weights, the synthetic data and the batch order (the same on every rank).", DefaultValueFactory = _ => 1UL };
        var save = new Option<string?>("--save") { Description = "Checkpoint written by rank 0 at the end (safetensors; resumable with any number of ranks)." };
        var saveEvery = new Option<long?>("--save-every") { Description = "Also write the checkpoint every this many steps." };
        var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint written by this command (with any number of ranks)." };
        var output = new Option<string?>("--out") { Description = "Folder for rank 0's metrics.csv and loss.png." };
        var evaluate = new Option<bool>("--evaluate") { Description = "Rank 0 reports test accuracy at the end." };
        var dataDir = DataCommand.DataDirOption();
        var threads = DistributedCommand.ThreadsOption();
        var command = new Command("train", "Data-parallel training: the global batch is split across the mpirun ranks, gradients are summed with allreduce, BN is synchronized.")
        {
            model, hidden, activation, bn, noSync, batch, steps, dataset, examples, features, lr, momentum, seed, save, saveEvery, resume, output, evaluate, dataDir, threads,
        };
        command.SetAction(parse =>
        {
            int[] widths;
            try { widths = ParseWidths(parse.GetValue(hidden)!); }
            catch (FormatException e)
            {
                Console.Error.WriteLine("error: --hidden: " + e.Message);
                return 1;
            }
            var settings = new DistributedTrainSettings(parse.GetValue(model)!, widths, parse.GetValue(bn), !parse.GetValue(noSync),
                parse.GetValue(batch), parse.GetValue(steps), parse.GetValue(dataset)!, parse.GetValue(examples), parse.GetValue(features),
                parse.GetValue(lr), parse.GetValue(momentum), parse.GetValue(seed), parse.GetValue(save), parse.GetValue(saveEvery),
                parse.GetValue(resume), parse.GetValue(output), parse.GetValue(evaluate), parse.GetValue(dataDir))
            {
                Activation = parse.GetValue(activation)!,
            };
            string? problem = settings.Validate();
            if (problem is not null)
            {
                Console.Error.WriteLine("error: " + problem);
                return 1;
            }
            return DistributedCommand.Run(parse.GetValue(threads), communicator => new DistributedTrainingRun(settings, communicator).Run());
        });
        return command;
    }

    internal static int[] ParseWidths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1)
                throw new FormatException($"'{parts[i]}' is not a positive width (expected e.g. 500,400,300)");
        return widths;
    }
}

/// <summary>The parsed command line of <c>distributed train</c>.</summary>
internal sealed record DistributedTrainSettings(string Model, int[] Hidden, bool BatchNorm, bool SyncBatchNorm, int BatchSize, long Steps,
    string Dataset, int SyntheticExamples, int SyntheticFeatures, float LearningRate, float Momentum, ulong Seed, string? Save,
    long? SaveEvery, string? Resume, string? Output, bool Evaluate, string? DataDirectory)
{
    /// <summary>Hidden activation by <see cref="NormSharp.Models.ActivationFactory"/> name.</summary>
    public string Activation { get; init; } = "relu";

    /// <summary>The first problem with the settings, or null.</summary>
    public string? Validate()
    {
        if (BatchSize < 1) return $"--batch-size must be at least 1 (got {BatchSize})";
        if (Steps < 0) return $"--steps must be ≥ 0 (got {Steps})";
        if (SaveEvery is < 1) return $"--save-every must be at least 1 (got {SaveEvery})";
        if (SaveEvery is not null && Save is null) return "--save-every needs --save";
        if (!(LearningRate >= 0)) return $"--lr must be ≥ 0 (got {LearningRate})";
        if (Momentum is < 0 or >= 1) return $"--momentum must lie in [0, 1) (got {Momentum})";
        if (Dataset == "synthetic" && (SyntheticExamples < 10 || SyntheticFeatures < 1))
            return "--synthetic-examples must be at least 10 and --synthetic-features at least 1";
        if (Model == "lenet" && Dataset == "synthetic") return "lenet needs images: use --dataset mnist or fashion-mnist";
        if (Resume is not null && !File.Exists(Resume)) return $"--resume: checkpoint '{Resume}' does not exist";
        return null;
    }
}

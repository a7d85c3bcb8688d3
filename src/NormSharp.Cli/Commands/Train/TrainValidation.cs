using System.Globalization;
using NormSharp.Models;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// Checks every <c>normsharp train</c> option on its own (ranges, files, combinations) before anything is
/// loaded; what depends on the data (shapes, batch size against the dataset) is checked by
/// <see cref="TrainModelFactory"/> and <see cref="TrainData"/>. Each problem is one
/// <see cref="TrainArgumentException"/> naming the option.
/// </summary>
internal static class TrainValidation
{
    public static void Check(TrainSettings s)
    {
        if (s.ModelIsFile && !File.Exists(s.Model))
            throw Bad($"--model '{s.Model}' is neither mlp, lenet nor an existing architecture JSON file");
        if (s.Model != "mlp" && s.HiddenGiven)
            throw Bad($"--hidden applies to --model mlp only, not '{s.Model}' (whose layers are fixed)");
        if (s.Activation is { } a && !ActivationFactory.Names.Contains(a, StringComparer.OrdinalIgnoreCase))
            throw Bad($"--activation '{a}' is unknown; expected one of {TrainCommand.ActivationList}");
        if (!(s.BatchNormMomentum is >= 0 and <= 1)) throw Bad($"--bn-momentum {Num(s.BatchNormMomentum)} must be in [0, 1]");
        if (!(s.BatchNormEps >= 0) || !float.IsFinite(s.BatchNormEps)) throw Bad($"--bn-eps {Num(s.BatchNormEps)} must be a finite number ≥ 0");

        if (!TrainData.IsBuiltIn(s.Dataset))
        {
            if (!s.Dataset.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
                throw Bad($"--dataset '{s.Dataset}' is unknown; expected {string.Join(", ", TrainData.BuiltInNames)} or a .csv file");
            if (!File.Exists(s.Dataset)) throw Bad($"--dataset '{s.Dataset}': the CSV file does not exist");
        }
        if (!(s.ValidationSplit is >= 0 and < 1)) throw Bad($"--val-split {Num(s.ValidationSplit)} must be in [0, 1)");
        if (s.TrainLimit is < 1) throw Bad($"--train-limit {s.TrainLimit} must be at least 1");

        if (s.Epochs is < 1) throw Bad($"--epochs {s.Epochs} must be at least 1");
        if (s.Steps is < 1) throw Bad($"--steps {s.Steps} must be at least 1");
        if (s.BatchSize < 1) throw Bad($"--batch-size {s.BatchSize} must be at least 1");
        if (s.BatchNorm && s.BatchSize < 2)
            throw Bad($"--batch-size {s.BatchSize} with Batch Normalization: a batch of one example has no variance to normalise by (use at least 2)");
        if (s.LearningRate is { } lr && (!(lr > 0) || !float.IsFinite(lr))) throw Bad($"--lr {Num(lr)} must be a finite number > 0");
        if (!(s.Momentum is >= 0 and < 1)) throw Bad($"--momentum {Num(s.Momentum)} must be in [0, 1)");
        if (s.Momentum != 0 && s.Optimizer is "adam" or "adamw") throw Bad($"--momentum applies to sgd and rmsprop, not {s.Optimizer} (it uses betas)");
        if (s.WeightDecay is { } wd && (!(wd >= 0) || !float.IsFinite(wd))) throw Bad($"--weight-decay {Num(wd)} must be a finite number ≥ 0");
        if (s.ClipNorm is { } cn && (!(cn > 0) || !float.IsFinite(cn))) throw Bad($"--clip-norm {Num(cn)} must be a finite number > 0");
        if (s.ClipValue is { } cv && (!(cv > 0) || !float.IsFinite(cv))) throw Bad($"--clip-value {Num(cv)} must be a finite number > 0");
        if (s.LearningRateSchedule is { } schedule) TrainOptimizerFactory.ParseSchedule(schedule);
        if (s.Threads is < 1 or > 1024) throw Bad($"--threads {s.Threads} must be in [1, 1024]");
        if (s.EvalEvery is < 1) throw Bad($"--eval-every {s.EvalEvery} must be at least 1");
        if (s.TargetAccuracy is { } t && !(t is > 0 and <= 1)) throw Bad($"--target-accuracy {Num(t)} must be in (0, 1]");

        if (s.CheckpointEvery is < 1) throw Bad($"--checkpoint-every {s.CheckpointEvery} must be at least 1");
        if (s.CheckpointEvery is not null && s.CheckpointPath is null) throw Bad("--checkpoint-every needs --checkpoint FILE");
        if (s.ResumePath is { } resume && !File.Exists(resume)) throw Bad($"--resume '{resume}': the checkpoint does not exist");
        if (s.SoakMinutes is { } soak && !(soak > 0 && soak <= 24 * 60)) throw Bad($"--soak-minutes {Num(soak)} must be in (0, 1440]");
        if (s.NoSyncBatchNorm && !s.Distributed) throw Bad("--no-sync-bn applies to --distributed runs only");
        if (s.Distributed) CheckDistributed(s);
        foreach (var (option, path) in new[]
                 {
                     ("--metrics", s.MetricsPath), ("--plot", s.PlotPath), ("--save", s.SavePath), ("--save-initial", s.SaveInitialPath),
                     ("--checkpoint", s.CheckpointPath), ("--memory-log", s.MemoryLogPath),
                 })
            if (path is not null) CheckOutput(option, path);
    }

    /// <summary>The options the data-parallel loop (<see cref="DistributedFitLoop"/>) does not offer.</summary>
    private static void CheckDistributed(TrainSettings s)
    {
        if (s.ClipValue is not null) throw Bad("--clip-value cannot combine with --distributed (the global gradient is clipped by norm only: use --clip-norm)");
        if (s.OnNonFinite == NormSharp.Training.NonFinitePolicy.SkipBatch) throw Bad("--on-nan skip-batch cannot combine with --distributed (a non-finite global loss stops every rank)");
        if (s.SoakMinutes is not null) throw Bad("--soak-minutes cannot combine with --distributed");
        if (s.MemoryLogPath is not null) throw Bad("--memory-log cannot combine with --distributed");
    }

    private static void CheckOutput(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw Bad($"{option} needs a file name");
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw Bad($"{option} '{path}' is a directory, not a file");
        string? directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory)) throw Bad($"{option} '{path}': the directory '{directory}' does not exist");
    }

    private static TrainArgumentException Bad(string message) => new(message);

    private static string Num(double v) => v.ToString("G", CultureInfo.InvariantCulture);
}

using System.CommandLine;
using System.Globalization;
using NormSharp.Data;
using NormSharp.Data.Fetching;
using NormSharp.Diagnostics;
using NormSharp.Serialization;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>normsharp doctor &lt;model or checkpoint&gt; [--data NAME] [--batch-size N]</c>: the BN mistakes of
/// <see cref="BatchNormDoctor"/>, one per line with its fix. Exit code 0: nothing above info level;
/// 1: warnings or errors found; 2: the model or data could not be read.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("model") { Description = "A model (.safetensors from ModelIO.Save / normsharp train) or a training checkpoint." };
        var data = ModelDataOptions.Data("Validation data for the train-mode vs eval-mode accuracy check (its test split).");
        var batchSize = new Option<int?>("--batch-size") { Description = "The training batch size (default: what a checkpoint records)." };
        var limit = new Option<int>("--limit") { Description = "Validation examples used by the accuracy check.", DefaultValueFactory = _ => 10_000 };
        var dataDir = DataCommand.DataDirOption();
        var standardize = ModelDataOptions.Standardize();
        var command = new Command("doctor", "Check a model for common Batch Normalization mistakes and say how to fix each.")
        {
            path, data, batchSize, limit, dataDir, standardize,
        };
        command.SetAction(parse =>
        {
            try
            {
                var model = ModelFile.Load(parse.GetValue(path)!);
                int? batch = parse.GetValue(batchSize) ?? model.BatchSize;
                if (batch is < 1) throw new ArgumentException($"--batch-size must be at least 1, got {batch}");
                int examples = parse.GetValue(limit);
                if (examples < 2) throw new ArgumentException($"--limit must be at least 2, got {examples}");
                InMemoryDataset? validation = null;
                if (parse.GetValue(data) is { } name)
                {
                    var test = ModelDataOptions.Load(name, parse.GetValue(dataDir), model, parse.GetValue(standardize)).Test;
                    validation = test.Count <= examples ? test : test.Subset(Enumerable.Range(0, examples).ToArray());
                }
                var report = BatchNormDoctor.Examine(model.Model, new DoctorOptions { BatchSize = batch, Validation = validation });
                Print(model, batch, parse.GetValue(batchSize) is not null, report);
                return report.HasProblems ? 1 : 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or SafetensorsFormatException or ArgumentException
                                          or DatasetFetchException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 2;
            }
        });
        return command;
    }

    private static void Print(ModelFile model, int? batch, bool batchGiven, DoctorReport report)
    {
        string source = batch is null ? "unknown (pass --batch-size to check it)" : $"{batch} ({(batchGiven ? "--batch-size" : "recorded in the file")})";
        Console.WriteLine($"doctor: {model.Path} ({(model.IsCheckpoint ? "checkpoint" : "model")}): {report.NormalizationLayers} BN layers, batch size {source}");
        if (report.TrainModeAccuracy is { } train && report.EvalModeAccuracy is { } eval)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"validation accuracy: {train * 100:0.00}% with batch statistics (train mode), {eval * 100:0.00}% with running statistics (eval mode)"));
        if (report.Findings.Count == 0)
        {
            Console.WriteLine("no BN problems found");
            return;
        }
        foreach (var finding in report.Findings)
        {
            string layer = finding.Layer.Length == 0 ? "model" : "layer " + finding.Layer;
            Console.WriteLine($"{finding.Severity.ToString().ToUpperInvariant()} [{finding.Code}] {layer}: {finding.Message}");
            Console.WriteLine($"    fix: {finding.Fix}");
        }
        int problems = report.Findings.Count(f => f.Severity >= Severity.Warning);
        Console.WriteLine($"{report.Findings.Count} finding(s), {problems} warning(s) or error(s)");
    }
}

using System.CommandLine;
using NormSharp.Cli.Data;
using NormSharp.Data;
using NormSharp.Data.Fetching;
using Spectre.Console;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp data fetch|info|show</c>: get, inspect and look at the registered datasets.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", $"Fetch, verify and inspect datasets ({string.Join(", ", DatasetRegistry.Names)}).");
        command.Subcommands.Add(CreateFetch());
        command.Subcommands.Add(DataInfoCommand.Create());
        command.Subcommands.Add(DataShowCommand.Create());
        return command;
    }

    /// <summary>The <c>--data-dir</c> option shared by the subcommands.</summary>
    internal static Option<string?> DataDirOption() =>
        new("--data-dir") { Description = $"Dataset cache folder (default: ${DataOptions.EnvironmentVariable}, else ~/.cache/normsharp)." };

    /// <summary>The dataset name argument, restricted to the registered names.</summary>
    internal static Argument<string> NameArgument()
    {
        var name = new Argument<string>("name") { Description = "Dataset name: " + string.Join(", ", DatasetRegistry.Names) };
        name.AcceptOnlyFromAmong([.. DatasetRegistry.Names]);
        return name;
    }

    /// <summary>Fetches with a progress bar; on failure prints the error (every source tried, manual fix) and returns null.</summary>
    internal static FetchReport? FetchWithProgress(string name, string? dataDirectory)
    {
        try
        {
            return FetchProgressRenderer.Run(progress =>
                DatasetRegistry.Fetch(name, new DataOptions { DataDirectory = dataDirectory, Progress = progress }));
        }
        catch (DatasetFetchException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return null;
        }
    }

    private static Command CreateFetch()
    {
        var name = NameArgument();
        var dataDir = DataDirOption();
        var command = new Command("fetch", "Download (if missing) and verify a dataset's files by SHA-256 into the cache.") { name, dataDir };
        command.SetAction(parse =>
        {
            var report = FetchWithProgress(parse.GetValue(name)!, parse.GetValue(dataDir));
            if (report is null) return 1;
            foreach (var attempt in report.Attempts)
                Console.WriteLine($"  {attempt.Source}: {(attempt.Succeeded ? "ok" : "failed")} — {attempt.Detail}");
            foreach (var file in report.Dataset.Files)
                Console.WriteLine($"{report.PathOf(file)}  sha256 {file.Sha256}  verified (from {report.Origins[file.Name]})");
            Console.WriteLine($"{report.Dataset.Name}: all {report.Dataset.Files.Count} files verified in {report.Directory}");
            return 0;
        });
        return command;
    }
}

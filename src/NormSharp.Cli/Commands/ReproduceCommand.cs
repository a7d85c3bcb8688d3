using System.CommandLine;
using NormSharp.Cli.Experiments;
using NormSharp.Cli.Reporting;
using Spectre.Console;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp reproduce &lt;name&gt;|all --out DIR [--quick] [--seed S] [--threads T] [--data-dir D]</c>.</summary>
internal static class ReproduceCommand
{
    public static Command Create()
    {
        var names = string.Join(", ", ExperimentCatalog.All().Select(e => e.Name));
        var name = new Argument<string>("name") { Description = $"The experiment to run: {names}, or 'all' (also writes report.md)." };
        var output = new Option<string>("--out") { Description = "Output folder (one subfolder per experiment).", Required = true };
        var quick = new Option<bool>("--quick") { Description = "Small subsets and few steps (each experiment under two minutes on two cores)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation, shuffling and stochastic layers.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int?>("--threads") { Description = "Kernel threads (default: all cores)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Dataset cache folder (default: the registry's)." };
        var command = new Command("reproduce", "Re-run the seeds' Batch Normalization experiments: CSV data, PNG plots and a Markdown report.")
        {
            name, output, quick, seed, threads, dataDir,
        };
        command.SetAction(parse =>
        {
            var options = new ExperimentOptions
            {
                Quick = parse.GetValue(quick),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                DataDirectory = parse.GetValue(dataDir),
            };
            if (options.Threads is < 1)
            {
                Console.Error.WriteLine($"--threads must be at least 1, got {options.Threads}");
                return 2;
            }
            string target = parse.GetValue(name)!;
            string outDirectory = parse.GetValue(output)!;
            IReadOnlyList<IExperiment> experiments;
            try
            {
                experiments = string.Equals(target, "all", StringComparison.OrdinalIgnoreCase) ? ExperimentCatalog.All() : [ExperimentCatalog.Find(target)];
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            int exitCode = 0;
            WithProgress(sink =>
            {
                if (experiments.Count == 1 && !string.Equals(target, "all", StringComparison.OrdinalIgnoreCase))
                {
                    ReproduceRunner.Run(experiments[0], options, outDirectory, sink);
                    return;
                }
                var (report, failed) = ReproduceRunner.RunAll(experiments, options, outDirectory, sink);
                sink.Log($"report: {report}");
                if (failed.Count > 0)
                {
                    sink.Log($"failed: {string.Join(", ", failed)}");
                    exitCode = 1;
                }
            });
            return exitCode;
        });
        return command;
    }

    /// <summary>Progress bars on an interactive console; plain log lines when output is redirected.</summary>
    private static void WithProgress(Action<IProgressSink> body)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
        {
            body(new SilentProgressSink(Console.WriteLine));
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context => body(new SpectreProgressSink(context)));
    }
}

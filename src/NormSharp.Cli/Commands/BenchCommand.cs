using System.CommandLine;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp bench</c>: whole training steps (<c>train</c>) and single kernels (<c>kernels</c>),
/// timed in-process with warm-up; bench/compare.sh runs them beside PyTorch and prints the ratios.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Time training steps and kernels (warm-up excluded); see bench/RESULTS.md.");
        command.Subcommands.Add(BenchTrainCommand.Create());
        command.Subcommands.Add(BenchKernelsCommand.Create());
        return command;
    }
}

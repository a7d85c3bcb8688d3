using System.CommandLine;
using NormSharp.Models;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// <c>normsharp train</c>: trains an MLP, LeNet-5 or a custom architecture JSON on a registered dataset,
/// the two-moons toy or a CSV file. Options are declared here, read into <see cref="TrainSettings"/> and
/// checked by <see cref="TrainValidation"/>; <see cref="TrainRunner"/> does the work.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var o = new TrainCommandOptions();
        var command = new Command("train", "Train a model (MLP, LeNet-5 or an architecture JSON) with optional Batch Normalization; " +
                                           "checkpoints, resume, metrics CSV, plots, numeric-fault guard.");
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction(parse =>
        {
            TrainSettings settings;
            try
            {
                settings = o.Read(parse);
                TrainValidation.Check(settings);
            }
            catch (TrainArgumentException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 2;
            }
            if (settings.Distributed)
                return DistributedCommand.Run(settings.Threads, communicator => new TrainDistributedRunner(settings, communicator).Run());
            return TrainRunner.Run(settings);
        });
        return command;
    }

    /// <summary>Parses "500,400,300" (an empty string: no hidden layer).</summary>
    internal static IReadOnlyList<int> ParseSizes(string text, string option)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n))
                throw new TrainArgumentException($"{option} '{text}': '{part}' is not an integer (expected e.g. 500,400,300)");
            if (n < 1) throw new TrainArgumentException($"{option} '{text}': every layer needs at least 1 unit, got {n}");
            sizes.Add(n);
        }
        return sizes;
    }

    internal static string ActivationList => string.Join("|", ActivationFactory.Names);
}

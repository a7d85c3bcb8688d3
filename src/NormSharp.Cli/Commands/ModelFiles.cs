using System.CommandLine;
using NormSharp.Layers;
using NormSharp.Serialization;
using Spectre.Console;

namespace NormSharp.Cli.Commands;

/// <summary>What the model commands share: reading a model file (a <see cref="ModelIO"/> file or a training
/// checkpoint) with errors that name the file, and the exit codes (2: bad arguments or input files).</summary>
internal static class ModelFiles
{
    /// <summary>Exit code for a bad path, an unreadable file or arguments that do not fit the model.</summary>
    public const int UsageError = 2;

    /// <summary>The <c>--model</c> option (required).</summary>
    public static Option<string> ModelOption() =>
        new("--model") { Description = "Model file written by NormSharp (safetensors with the architecture in its metadata), or a training checkpoint.", Required = true };

    /// <summary>Thrown for problems the user can fix (reported as "error: …", exit code 2).</summary>
    public sealed class UsageException(string message) : Exception(message);

    /// <summary>Runs <paramref name="body"/>, turning <see cref="UsageException"/> into "error: …" and exit code 2.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return UsageError;
        }
    }

    /// <summary>The file at <paramref name="path"/> as safetensors, or a usage error naming <paramref name="option"/>.</summary>
    public static SafetensorsFile Read(string path, string option)
    {
        if (!File.Exists(path)) throw new UsageException($"{option} '{path}' does not exist");
        try
        {
            return SafetensorsFile.Read(path);
        }
        catch (Exception e) when (e is SafetensorsFormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} '{path}' is not a readable safetensors file: {e.Message}");
        }
    }

    /// <summary>Rebuilds the model in <paramref name="path"/> (in eval mode) with its file's metadata.</summary>
    public static (Module Model, SafetensorsFile File) Load(string path, string option = "--model")
    {
        var file = Read(path, option);
        try
        {
            var model = Rebuild(file, path);
            model.Eval();
            return (model, file);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }

    /// <summary>The model in an already-read <paramref name="file"/>: a training checkpoint (recognised by its
    /// metadata) or a <see cref="ModelIO"/> model file. Leaves the model in the mode it was saved in.</summary>
    /// <exception cref="InvalidDataException">Not a NormSharp model or checkpoint (the message says why).</exception>
    public static Module Rebuild(SafetensorsFile file, string path) =>
        file.Metadata.ContainsKey(Checkpoint.MetadataKey) ? Checkpoint.LoadModel(path) : ModelIO.FromFile(file, path);

    /// <summary>A folder must exist for an output file; the file itself is written atomically by the caller.</summary>
    public static string OutputPath(string path, string option)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder)) throw new UsageException($"{option} '{path}': folder '{folder}' does not exist");
        if (Directory.Exists(full)) throw new UsageException($"{option} '{path}' is a folder, expected a file name");
        return full;
    }

    /// <summary>A Spectre console writing to the current <see cref="Console.Out"/> (so redirected output, and tests, see the tables).</summary>
    public static IAnsiConsole Spectre() =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });

    /// <summary>The first layer the input meets, descending through containers (Sequential, Residual's body):
    /// it decides the data layout.</summary>
    public static Module FirstLayer(Module model)
    {
        while (model.Children().FirstOrDefault() is { Module: { } child }) model = child;
        return model;
    }
}

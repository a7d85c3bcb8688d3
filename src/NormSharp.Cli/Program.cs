using System.CommandLine;
using NormSharp.Cli.Commands;

namespace NormSharp.Cli;

/// <summary>Entry point of the <c>normsharp</c> command: composes the library, holds no engine logic.</summary>
public static class Program
{
    /// <summary>Exit code of a bad argument (parse errors and every command's own checks), as BSD's EX_USAGE-free convention of grep, diff and curl.</summary>
    public const int BadArguments = 2;

    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A parse error (unknown option, missing or malformed value)
    /// prints one line, <c>error: …</c>, and returns <see cref="BadArguments"/> — not System.CommandLine's
    /// default of the help text and exit code 1.
    /// </summary>
    public static int Run(string[] args)
    {
        var parse = BuildRootCommand().Parse(args);
        if (parse.Errors.Count > 0 && !WantsHelp(args))
        {
            var messages = parse.Errors.Select(e => e.Message.ReplaceLineEndings(" ").TrimEnd('.')).Distinct();
            Console.Error.WriteLine("error: " + string.Join("; ", messages) + " (see --help)");
            return BadArguments;
        }
        return parse.Invoke();
    }

    private static bool WantsHelp(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    /// <summary>The full command tree (also used by tests to parse arguments without a process).</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("NormSharp: a pure C# deep-learning engine built around Batch Normalization.");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        return root;
    }
}

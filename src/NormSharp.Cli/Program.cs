using System.CommandLine;
using NormSharp.Cli.Commands;

namespace NormSharp.Cli;

/// <summary>Entry point of the <c>normsharp</c> command: composes the library, holds no engine logic.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = BuildRootCommand();
        return root.Parse(args).Invoke();
    }

    /// <summary>The full command tree (also used by tests to parse arguments without a process).</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("NormSharp: a pure C# deep-learning engine built around Batch Normalization.");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        return root;
    }
}

using System.Diagnostics;
using NormSharp.Cli;

namespace NormSharp.Tests;

/// <summary>Runs the <c>normsharp</c> CLI in-process (console captured) or as a child process
/// (<c>dotnet NormSharp.Cli.dll</c>, built next to the test assembly by the project reference).</summary>
/// <remarks>The console is process-wide: in-process runs hold <see cref="s_console"/> while they redirect it,
/// so two test classes running in parallel never capture each other's output.</remarks>
internal static class CliRunner
{
    private static readonly Lock s_console = new();

    /// <summary>In-process, through <see cref="Program.Run"/> (what Main does), standard output and error apart.</summary>
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        lock (s_console) return RunCaptured(args);
    }

    /// <summary>In-process, parsing and invoking the command tree directly (no exit-code mapping of parse
    /// errors), standard output and error merged in order.</summary>
    public static (int Code, string Output) Invoke(params string[] args)
    {
        lock (s_console)
        {
            var savedOut = Console.Out;
            var savedError = Console.Error;
            int threads = NormSharp.Kernels.ParallelRunner.Threads;
            using var output = new StringWriter();
            Console.SetOut(output);
            Console.SetError(output);
            try
            {
                int code = Program.BuildRootCommand().Parse(args).Invoke();
                return (code, output.ToString());
            }
            finally
            {
                Console.SetOut(savedOut);
                Console.SetError(savedError);
                NormSharp.Kernels.ParallelRunner.Threads = threads;
            }
        }
    }

    private static (int Code, string Output, string Error) RunCaptured(string[] args)
    {
        var savedOut = Console.Out;
        var savedError = Console.Error;
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        int saved = NormSharp.Kernels.ParallelRunner.Threads;
        try
        {
            int code = Program.Run(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
            NormSharp.Kernels.ParallelRunner.Threads = saved;
        }
    }

    public static string CliDll
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "NormSharp.Cli.dll");
            Assert.True(File.Exists(path), $"the CLI is built next to the tests: {path}");
            return path;
        }
    }

    /// <summary>Starts the CLI as a child process with redirected output.</summary>
    public static Process Start(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_TieredPGO"] = "0"; // steadier start-up; results do not depend on it
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>Runs the CLI as a child process to the end.</summary>
    public static (int Code, string Output, string Error) RunProcess(string workingDirectory, params string[] args)
    {
        using var process = Start(workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"normsharp {string.Join(' ', args)} did not finish in 120 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

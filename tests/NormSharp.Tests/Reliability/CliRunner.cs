using System.Diagnostics;
using NormSharp.Cli;

namespace NormSharp.Tests.Reliability;

/// <summary>Runs the <c>normsharp</c> CLI in-process (console captured) or as a child process
/// (<c>dotnet NormSharp.Cli.dll</c>, built next to the test assembly by the project reference).</summary>
internal static class CliRunner
{
    /// <summary>In-process, through <see cref="Program.Run"/> (what Main does). Callers belong to the serial collection.</summary>
    public static (int Code, string Output, string Error) Run(params string[] args)
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

using System.Diagnostics;

namespace NormSharp.Tests;

/// <summary>Runs helper programs (the system Python, child test processes) with a time limit, capturing their output.</summary>
internal static class ExternalProcess
{
    /// <summary>The checkout's root (the folder holding NormSharp.slnx), found upwards from the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Runs <paramref name="program"/> to completion; returns its exit code and stdout+stderr.</summary>
    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"{program} did not finish within {timeout.TotalSeconds:F0} s\n{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NormSharp.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no NormSharp.slnx above {AppContext.BaseDirectory}");
    }
}

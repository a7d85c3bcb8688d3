using System.Diagnostics;
using System.Text;

namespace NormSharp.Tests.Distributed;

/// <summary>
/// Launches the normsharp CLI of the test's build (NormSharp.Cli.dll beside the test assembly) under
/// <c>mpirun --allow-run-as-root --oversubscribe -np N</c>, or as a plain child process.
/// When MPI is not installed the calling test fails with the fix — it is never skipped.
/// </summary>
internal static class MpiRun
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(180);

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "NormSharp.Cli.dll");

    /// <summary>mpirun's full path, or a failed assertion saying how to install Open MPI.</summary>
    public static string Mpirun()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "mpirun");
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail("MPI is not installed: mpirun is not on PATH. The distributed tests need Open MPI: run scripts/install-test-deps.sh " +
                    "(as root) or apt-get install openmpi-bin libopenmpi-dev — this test fails rather than skips without it.");
        return null!;
    }

    /// <summary>Runs <c>mpirun -np <paramref name="ranks"/> dotnet NormSharp.Cli.dll args</c>; returns exit code and output.</summary>
    public static (int ExitCode, string Output) Cli(int ranks, params string[] args)
    {
        string[] mpi = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet", CliDll];
        return Run(Mpirun(), [.. mpi, .. args], null);
    }

    /// <summary>Runs <c>dotnet NormSharp.Cli.dll args</c> without mpirun, with extra environment variables.</summary>
    public static (int ExitCode, string Output) CliWithoutMpirun(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Run("dotnet", [CliDll, .. args], environment);

    private static (int, string) Run(string program, string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        // The test host's own MPI/OMPI variables (if any) must not leak into the children.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("OMPI_", StringComparison.Ordinal) || k.StartsWith("PMIX_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        // Containers often forbid the cross-memory-attach copies Open MPI's shared-memory transport uses by
        // default (ptrace scope): plain copies work everywhere. Ignored by Open MPI versions without vader.
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not finish within {s_timeout.TotalSeconds} s:\n{output}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.ToString());
    }
}

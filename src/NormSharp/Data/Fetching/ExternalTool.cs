using System.ComponentModel;
using System.Diagnostics;

namespace NormSharp.Data.Fetching;

/// <summary>Runs a command-line tool (npm, apt-get, dpkg-deb) as a child process with a time limit.</summary>
internal static class ExternalTool
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>
    /// and returns its standard output; a missing tool, a non-zero exit or a timeout become a
    /// <see cref="DatasetSourceException"/> carrying the tool's last error line.
    /// </summary>
    public static string Run(string fileName, IReadOnlyList<string> arguments, string workingDirectory,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        string commandLine = fileName + " " + string.Join(' ', arguments);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new DatasetSourceException($"`{commandLine}` did not start");
        }
        catch (Win32Exception e)
        {
            throw new DatasetSourceException($"`{fileName}` is not installed or not on PATH ({e.Message})", e);
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            try
            {
                process.WaitForExitAsync(timeoutSource.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                cancellationToken.ThrowIfCancellationRequested();
                throw new DatasetSourceException($"`{commandLine}` timed out after {timeout.TotalSeconds:0} s");
            }
            string output = stdout.GetAwaiter().GetResult();
            string error = stderr.GetAwaiter().GetResult();
            if (process.ExitCode != 0)
                throw new DatasetSourceException($"`{commandLine}` exited with code {process.ExitCode}: {LastLine(error, output)}");
            return output;
        }
    }

    private static string LastLine(string error, string output)
    {
        string text = string.IsNullOrWhiteSpace(error) ? output : error;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // apt-get prints an unsandboxed-download warning first; the error is usually last, npm prints "npm error …" lines.
        for (int i = lines.Length - 1; i >= 0; i--)
            if (lines[i].Contains("error", StringComparison.OrdinalIgnoreCase) || lines[i].StartsWith("E:", StringComparison.Ordinal))
                return lines[i];
        return lines.Length > 0 ? lines[^1] : "(no output)";
    }
}

using NormSharp.Data.Fetching;
using Spectre.Console;

namespace NormSharp.Cli.Data;

/// <summary>
/// Draws <see cref="FetchProgress"/> reports: one Spectre.Console bar per file being transferred or
/// verified on an interactive console; one plain line per event (transfers every 10 MiB) otherwise, so
/// CI logs stay readable.
/// </summary>
internal sealed class FetchProgressRenderer : IProgress<FetchProgress>
{
    private readonly ProgressContext? _context;
    private readonly TextWriter _log;
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastLogged = new(StringComparer.Ordinal);

    private FetchProgressRenderer(ProgressContext? context, TextWriter log)
    {
        _context = context;
        _log = log;
    }

    /// <summary>Runs <paramref name="body"/> with a renderer suited to the console.</summary>
    public static T Run<T>(Func<IProgress<FetchProgress>, T> body)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return body(new FetchProgressRenderer(null, Console.Error));
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .Start(context => body(new FetchProgressRenderer(context, Console.Error)));
    }

    public void Report(FetchProgress value)
    {
        if (_context is null) { Log(value); return; }
        if (value.File is null)
        {
            string text = value.Stage == FetchStage.Failed ? $"[red]{Markup.Escape(value.Source)}: {Markup.Escape(value.Message ?? "failed")}[/]"
                                                           : $"[grey]{Markup.Escape(value.Source)}: {Markup.Escape(value.Message ?? value.Stage.ToString())}[/]";
            AnsiConsole.MarkupLine(text);
            return;
        }
        string key = value.Source + "|" + value.File;
        if (!_tasks.TryGetValue(key, out var task))
        {
            task = _context.AddTask(Markup.Escape($"{value.File} ← {value.Source}"), maxValue: 1);
            _tasks[key] = task;
        }
        if (value.TotalBytes is long total && total > 0) task.MaxValue = total;
        task.IsIndeterminate = value.TotalBytes is null && value.Stage != FetchStage.Done;
        if (value.Bytes > 0) task.Value = value.Bytes;
        if (value.Stage == FetchStage.Done) { task.Value = task.MaxValue; task.StopTask(); }
    }

    private void Log(FetchProgress value)
    {
        string what = value.File is null ? value.Source : $"{value.File} ← {value.Source}";
        if (value.Stage == FetchStage.Transferring)
        {
            string key = what;
            _lastLogged.TryGetValue(key, out long last);
            bool finished = value.TotalBytes is long t && value.Bytes >= t;
            if (!finished && value.Bytes - last < 10 << 20) return;
            _lastLogged[key] = value.Bytes;
            _log.WriteLine($"  {what}: {value.Bytes / 1048576.0:0.0} MiB" + (value.TotalBytes is long total ? $" of {total / 1048576.0:0.0} MiB" : ""));
            return;
        }
        if (value.Stage == FetchStage.Verifying) return; // "done" or "failed" follows
        if (value.Stage == FetchStage.Done && value.Source == DatasetFetcher.CacheSourceName) return; // a verified cache hit: nothing to report (keeps errors one line)
        _log.WriteLine($"  {what}: {value.Stage.ToString().ToLowerInvariant()}{(value.Message is null ? "" : " — " + value.Message)}");
    }
}

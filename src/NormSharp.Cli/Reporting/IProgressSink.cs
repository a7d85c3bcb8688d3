namespace NormSharp.Cli.Reporting;

/// <summary>Where an experiment reports how far its long loops are (a console progress bar, or nothing).</summary>
public interface IProgressSink
{
    /// <summary>Starts a task of <paramref name="total"/> units labelled <paramref name="label"/>.</summary>
    IProgressTask Start(string label, double total);

    /// <summary>A one-line message (a finished run's result, a data download).</summary>
    void Log(string message);
}

/// <summary>One running task of an <see cref="IProgressSink"/>.</summary>
public interface IProgressTask
{
    /// <summary>Adds <paramref name="amount"/> units of progress.</summary>
    void Increment(double amount = 1);

    /// <summary>Marks the task done (also when it stopped early, e.g. at a target accuracy).</summary>
    void Complete();
}

/// <summary>A sink that shows nothing and, optionally, forwards log lines (tests, redirected output).</summary>
public sealed class SilentProgressSink(Action<string>? log = null) : IProgressSink
{
    /// <inheritdoc />
    public IProgressTask Start(string label, double total) => NoTask.Instance;

    /// <inheritdoc />
    public void Log(string message) => log?.Invoke(message);

    private sealed class NoTask : IProgressTask
    {
        public static readonly NoTask Instance = new();
        public void Increment(double amount = 1) { }
        public void Complete() { }
    }
}

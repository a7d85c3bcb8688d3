using Spectre.Console;

namespace NormSharp.Cli.Reporting;

/// <summary>
/// Progress bars of Spectre.Console: create it inside <c>AnsiConsole.Progress().Start(ctx =&gt; ...)</c>
/// and run the experiment within that callback.
/// </summary>
public sealed class SpectreProgressSink(ProgressContext context) : IProgressSink
{
    /// <inheritdoc />
    public IProgressTask Start(string label, double total) =>
        new SpectreTask(context.AddTask(Markup.Escape(label), maxValue: Math.Max(total, 1)));

    /// <inheritdoc />
    public void Log(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));

    private sealed class SpectreTask(ProgressTask task) : IProgressTask
    {
        public void Increment(double amount = 1) => task.Increment(amount);

        public void Complete()
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}

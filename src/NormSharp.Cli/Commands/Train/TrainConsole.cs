using System.Globalization;
using System.Text;
using NormSharp.Data;
using NormSharp.Training;
using Spectre.Console;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// What <c>normsharp train</c> prints: one Keras-like line per evaluation point
/// (<c>Epoch 1/10 - 3.2s - loss: 0.2412 - accuracy: 0.9301 - val_loss: … - val_accuracy: …</c>) and, on
/// an interactive terminal, a Spectre.Console progress bar over the batches of the current epoch.
/// </summary>
internal sealed class TrainConsole(TrainSettings settings, DataLoader loader) : ITrainingCallback
{
    private ProgressTask? _bar;
    private double _lastElapsed;
    private int _barEpoch = -1;

    /// <summary>Whether a progress bar is drawn (an interactive terminal, output not redirected).</summary>
    public bool Interactive { get; } = !settings.Quiet && AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="fit"/> inside the progress display when there is one.</summary>
    public FitResult Run(Func<FitResult> fit)
    {
        if (!Interactive) return fit();
        FitResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                _bar = context.AddTask("training", maxValue: loader.BatchesPerEpoch);
                result = fit();
            });
        return result!;
    }

    /// <summary>A line for the user (above the progress bar when one is drawn).</summary>
    public void Line(string text)
    {
        if (settings.Quiet) return;
        if (Interactive) AnsiConsole.WriteLine(text);
        else Console.WriteLine(text);
    }

    void ITrainingCallback.OnStepEnd(TrainingProgress progress)
    {
        if (_bar is null) return;
        if (progress.Epoch != _barEpoch) _barEpoch = progress.Epoch; // a new epoch: the bar starts again
        _bar.Value = progress.StepInEpoch;
        _bar.Description = string.Create(CultureInfo.InvariantCulture, $"Epoch {progress.Epoch}/{TotalEpochs()} - loss: {progress.Loss:F4}");
    }

    void ITrainingCallback.OnEvaluation(TrainingProgress progress, FitRecord record)
    {
        double window = record.ElapsedSeconds - _lastElapsed;
        _lastElapsed = record.ElapsedSeconds;
        Line(Format(record, window, settings.EvalEvery is null ? $"Epoch {record.Epoch}/{TotalEpochs()}" : $"Step {record.Step}{StepTotal()} (epoch {record.Epoch})"));
    }

    /// <summary>The Keras-like line of a record.</summary>
    internal static string Format(FitRecord record, double seconds, string head)
    {
        var line = new StringBuilder(head);
        var c = CultureInfo.InvariantCulture;
        line.Append(c, $" - {seconds:F1}s - loss: {record.TrainLoss:F4}");
        if (record.TrainAccuracy is { } a) line.Append(c, $" - accuracy: {a:F4}");
        if (record.ValidationLoss is { } vl) line.Append(c, $" - val_loss: {vl:F4}");
        if (record.ValidationAccuracy is { } va) line.Append(c, $" - val_accuracy: {va:F4}");
        line.Append(c, $" - lr: {record.LearningRate:G4}");
        return line.ToString();
    }

    private string TotalEpochs() => TotalEpochs(settings, loader.BatchesPerEpoch);

    /// <summary>The "N" of "Epoch e/N": --epochs, or the epochs --steps reaches, or ∞ in soak mode.</summary>
    internal static string TotalEpochs(TrainSettings settings, int batchesPerEpoch)
    {
        if (settings.SoakMinutes is not null) return "∞";
        if (settings.Steps is { } steps)
        {
            long bySteps = (steps + batchesPerEpoch - 1) / batchesPerEpoch;
            return (settings.Epochs is { } e ? Math.Min(e, bySteps) : bySteps).ToString(CultureInfo.InvariantCulture);
        }
        return (settings.Epochs ?? 1).ToString(CultureInfo.InvariantCulture);
    }

    private string StepTotal() => settings.Steps is { } s ? "/" + s.ToString(CultureInfo.InvariantCulture) : "";
}

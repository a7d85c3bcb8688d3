using System.Globalization;
using System.Text;
using NormSharp.Cli.Reporting;
using NormSharp.Serialization;
using NormSharp.Training;
using ScottPlot;

namespace NormSharp.Cli.Commands.Train;

/// <summary>The files <c>normsharp train</c> writes about a run: the metrics CSV and the learning-curve PNG.</summary>
internal static class TrainReport
{
    private const string Header = "step,epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,elapsed_s,examples_per_s";

    /// <summary>
    /// Writes the history atomically. A resumed run keeps the rows the interrupted run wrote up to the
    /// checkpoint's step, so the file reads as one run.
    /// </summary>
    public static void WriteMetrics(string path, IReadOnlyList<FitRecord> records, long? resumedFromStep)
    {
        var text = new StringBuilder(Header).Append('\n');
        if (resumedFromStep is { } from && File.Exists(path))
            foreach (var line in File.ReadLines(path).Skip(1))
                if (long.TryParse(line.Split(',')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) && step <= from)
                    text.Append(line).Append('\n');
        foreach (var r in records)
            text.Append(string.Join(',',
                r.Step.ToString(CultureInfo.InvariantCulture), r.Epoch.ToString(CultureInfo.InvariantCulture), Num(r.TrainLoss), Num(r.TrainAccuracy),
                Num(r.ValidationLoss), Num(r.ValidationAccuracy), Num(r.LearningRate), Num(r.ElapsedSeconds), Num(r.ExamplesPerSecond))).Append('\n');
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Two panels side by side — loss and accuracy against the step — with titles, labelled axes and legends.</summary>
    public static void WritePlot(string path, IReadOnlyList<FitRecord> records, string title)
    {
        double[] steps = [.. records.Select(r => (double)r.Step)];
        var loss = new List<Series> { new("training loss", steps, [.. records.Select(r => r.TrainLoss)], Markers: records.Count < 30) };
        if (records.Any(r => r.ValidationLoss is not null))
            loss.Add(new Series("validation loss", steps, [.. records.Select(r => r.ValidationLoss ?? double.NaN)], Dashed: true, Markers: records.Count < 30));
        var accuracy = new List<Series> { new("training accuracy", steps, [.. records.Select(r => r.TrainAccuracy ?? double.NaN)], Markers: records.Count < 30) };
        if (records.Any(r => r.ValidationAccuracy is not null))
            accuracy.Add(new Series("validation accuracy", steps, [.. records.Select(r => r.ValidationAccuracy ?? double.NaN)], Dashed: true, Markers: records.Count < 30));
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0)); // a new Multiplot holds one empty plot
        multiplot.AddPlot(Charts.Line($"{title}: loss", "optimizer step", "cross-entropy loss", loss));
        multiplot.AddPlot(Charts.Line($"{title}: accuracy", "optimizer step", "accuracy", accuracy, legend: Alignment.LowerRight));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        // Rendered to memory and written atomically, as every other output file.
        string temporary = Path.Combine(Path.GetTempPath(), $"normsharp-plot-{Environment.ProcessId}-{Guid.NewGuid():N}.png");
        try
        {
            multiplot.SavePng(temporary, 1400, 520);
            AtomicFile.WriteAllBytes(path, File.ReadAllBytes(temporary));
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string Num(double? value) => value is { } v ? v.ToString("G9", CultureInfo.InvariantCulture) : "";
}

using System.Globalization;
using NormSharp.Cli.Reporting;

namespace NormSharp.Cli.Experiments;

/// <summary>Plot series and table cells shared by the MLP experiments' reports.</summary>
internal static class MlpSeries
{
    /// <summary>An accuracy curve (accuracy against step) of <paramref name="result"/>; NaN points are left out.</summary>
    public static Series Curve(string label, MlpRunResult result, Func<MlpPoint, double> accuracy, bool dashed = false) =>
        new(label, [.. result.Points.Select(p => (double)p.Step)], [.. result.Points.Select(accuracy)], Dashed: dashed);

    /// <summary>One value per x of the runs <paramref name="select"/> picks, with "not reached at x = …" added
    /// to the legend for the x whose value is NaN, so a missing point is explained in the figure itself.</summary>
    public static Series ByX(string label, IReadOnlyList<double> xs, Func<double, double> value, string missingWhat, bool dashed = false)
    {
        var ys = xs.Select(value).ToArray();
        var missing = xs.Where((_, i) => double.IsNaN(ys[i])).Select(x => x.ToString("G4", CultureInfo.InvariantCulture)).ToList();
        string text = missing.Count == 0 ? label : $"{label} ({missingWhat} at {string.Join(", ", missing)})";
        return new Series(text, [.. xs], ys, Dashed: dashed, Markers: true);
    }

    /// <summary>A step count for a table ("—" when NaN).</summary>
    public static string Steps(double steps) => double.IsNaN(steps) ? "—" : steps.ToString("0", CultureInfo.InvariantCulture);

    /// <summary>An accuracy as a percentage with one decimal ("—" when NaN).</summary>
    public static string Percent(double accuracy) => double.IsNaN(accuracy) ? "—" : (100 * accuracy).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>An invariant number.</summary>
    public static string Number(double value, string format = "0.0") => MarkdownSection.Cell(value, format);
}

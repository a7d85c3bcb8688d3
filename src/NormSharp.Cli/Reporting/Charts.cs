using ScottPlot;
using ScottPlot.TickGenerators;

namespace NormSharp.Cli.Reporting;

/// <summary>
/// The plots of the experiments, built with ScottPlot 5: every plot has a title, labelled axes and a
/// legend, so a figure can be read on its own.
/// </summary>
public static class Charts
{
    /// <summary>The palette (Category 10, matplotlib's default cycle, so figures look like the seeds').</summary>
    private static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;

    /// <summary>Colour number <paramref name="index"/> of the palette (wraps around).</summary>
    public static Color ColorAt(int index) => Palette[index % Palette.Length];

    /// <summary>
    /// A line plot of <paramref name="series"/>. With <paramref name="logX"/> the X values must be positive
    /// and are drawn on a base-10 logarithmic axis (ScottPlot has no native log axis: the data are
    /// transformed and the tick labels formatted back, as ScottPlot's cookbook does).
    /// </summary>
    /// <param name="legendBelow">Put the legend under the plot instead of inside it (for many or crossing lines).</param>
    public static Plot Line(string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        bool logX = false, bool logY = false, Alignment legend = Alignment.UpperRight, (double Min, double Max)? yRange = null,
        bool legendBelow = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = NewPlot(title, xLabel, yLabel);
        for (int s = 0; s < series.Count; s++)
        {
            var (xs, ys) = Finite(series[s], logX, logY);
            if (xs.Length == 0)
            {
                // Keep the legend entry so a run with nothing drawable is visibly accounted for.
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Label, LineColor = ColorAt(s), LineWidth = 2 });
                continue;
            }
            var line = plot.Add.Scatter(xs, ys, ColorAt(s));
            line.LegendText = series[s].Label;
            line.LineWidth = 2;
            line.MarkerSize = series[s].Markers || xs.Length == 1 ? 7 : 0;
            if (series[s].Dashed) line.LinePattern = LinePattern.Dashed;
        }
        if (logX) plot.Axes.Bottom.TickGenerator = LogTicks(Span(series, s => s.X));
        if (logY) plot.Axes.Left.TickGenerator = LogTicks(Span(series, s => s.Y));
        if (yRange is { } range) plot.Axes.SetLimitsY(range.Min, range.Max);
        if (legendBelow) plot.ShowLegend(Edge.Bottom);
        else plot.ShowLegend(legend);
        return plot;
    }

    /// <summary>
    /// Grouped bars: one group per category on the X axis, one coloured bar per series in each group
    /// (NaN values are left out).
    /// </summary>
    public static Plot GroupedBars(string title, string xLabel, string yLabel, IReadOnlyList<string> categories,
        IReadOnlyList<(string Label, double[] Values)> series, Alignment legend = Alignment.UpperRight)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        var plot = NewPlot(title, xLabel, yLabel);
        double groupWidth = 0.8, barWidth = groupWidth / Math.Max(series.Count, 1);
        var bars = new List<Bar>();
        for (int s = 0; s < series.Count; s++)
        {
            if (series[s].Values.Length != categories.Count)
                throw new ArgumentException($"series '{series[s].Label}' has {series[s].Values.Length} values for {categories.Count} categories", nameof(series));
            for (int c = 0; c < categories.Count; c++)
            {
                double value = series[s].Values[c];
                if (!double.IsFinite(value)) continue;
                bars.Add(new Bar
                {
                    Position = c - groupWidth / 2 + barWidth * (s + 0.5),
                    Value = value,
                    Size = barWidth * 0.95,
                    FillColor = ColorAt(s),
                    LineWidth = 0,
                });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Label, FillColor = ColorAt(s) });
        }
        plot.Add.Bars(bars);
        var ticks = new double[categories.Count];
        for (int c = 0; c < ticks.Length; c++) ticks[c] = c;
        plot.Axes.Bottom.SetTicks(ticks, [.. categories]);
        // Head room above the tallest bar so the legend does not cover bars; bars start at 0 unless some go below it.
        bool negative = series.Any(s => s.Values.Any(v => v < 0));
        plot.Axes.Margins(bottom: negative ? 0.1 : 0, top: 0.3);
        plot.ShowLegend(legend);
        return plot;
    }

    /// <summary>A plot with the shared look: title, axis labels, white background.</summary>
    internal static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title, size: 16);
        plot.XLabel(xLabel, size: 14);
        plot.YLabel(yLabel, size: 14);
        return plot;
    }

    /// <summary>Ticks of a log10-transformed axis. Over 1.5 decades or more: one labelled tick per power of 10
    /// with log-spaced minor ticks; over less (where that would leave one label or none): automatic ticks
    /// labelled with their value.</summary>
    private static NumericAutomatic LogTicks(double decades) => decades >= 1.5
        ? new()
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = value => Math.Abs(value) <= 4
                ? Math.Pow(10, value).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)
                : $"1e{value:0}",
        }
        : new()
        {
            LabelFormatter = value => Math.Pow(10, value).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };

    /// <summary>Decades spanned by the positive finite values of every series.</summary>
    private static double Span(IReadOnlyList<Series> series, Func<Series, double[]> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var s in series)
            foreach (double v in values(s))
                if (v > 0 && double.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        return max > min ? Math.Log10(max / min) : 0;
    }

    private static (double[] X, double[] Y) Finite(Series series, bool logX, bool logY)
    {
        if (series.X.Length != series.Y.Length)
            throw new ArgumentException($"series '{series.Label}' has {series.X.Length} X values and {series.Y.Length} Y values");
        var xs = new List<double>(series.X.Length);
        var ys = new List<double>(series.Y.Length);
        for (int i = 0; i < series.X.Length; i++)
        {
            double x = series.X[i], y = series.Y[i];
            if (logX) x = x > 0 ? Math.Log10(x) : double.NaN;
            if (logY) y = y > 0 ? Math.Log10(y) : double.NaN;
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            xs.Add(x);
            ys.Add(y);
        }
        return ([.. xs], [.. ys]);
    }
}

using ScottPlot;
using SkiaSharp;

namespace NormSharp.Cli.Reporting;

/// <summary>
/// A grid of small histograms under one title — the figure of seed 003: one row per training step, one
/// column per layer. Each cell is its own ScottPlot plot rendered into its rectangle of one Skia canvas.
/// </summary>
public static class HistogramGrid
{
    /// <summary>Number of bins of every histogram.</summary>
    public const int Bins = 30;

    /// <summary>
    /// Draws <paramref name="values"/>[row][column] as histograms and saves the grid as PNG. Cells of one
    /// column share their X range (so a layer's distribution can be followed down the steps).
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="rowLabels">One label per row (e.g. "step 50").</param>
    /// <param name="columnLabels">One label per column (e.g. "layer 3").</param>
    /// <param name="xLabel">What the values are (the X axis of each cell).</param>
    /// <param name="values">The samples of each cell.</param>
    /// <param name="color">Bar colour.</param>
    public static void Save(string path, string title, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels,
        string xLabel, float[][][] values, Color color)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = rowLabels.Count, columns = columnLabels.Count;
        if (values.Length != rows) throw new ArgumentException($"expected {rows} rows of values, got {values.Length}", nameof(values));
        const int cellWidth = 260, cellHeight = 190, titleHeight = 56;
        int width = columns * cellWidth, height = titleHeight + rows * cellHeight;
        var ranges = new (double Min, double Max)[columns];
        for (int c = 0; c < columns; c++) ranges[c] = ColumnRange(values, c);

        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var font = new SKFont(SKTypeface.Default, 26))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            canvas.DrawText(title, width / 2f, 38, SKTextAlign.Center, font, paint);

        for (int r = 0; r < rows; r++)
        {
            if (values[r].Length != columns) throw new ArgumentException($"row {r} has {values[r].Length} cells, expected {columns}", nameof(values));
            for (int c = 0; c < columns; c++)
            {
                var plot = Cell(values[r][c], ranges[c], color);
                plot.Title($"{columnLabels[c]}, {rowLabels[r]}", size: 12);
                if (r == rows - 1) plot.XLabel(xLabel, size: 11);
                if (c == 0) plot.YLabel("count", size: 11);
                // A plot rendered straight into a sub-rectangle clears the whole canvas first, so each cell is
                // rendered on its own and drawn into place.
                byte[] png = plot.GetImageBytes(cellWidth, cellHeight, ImageFormat.Png);
                using var cell = SKBitmap.Decode(png);
                canvas.DrawBitmap(cell, c * cellWidth, titleHeight + r * cellHeight);
            }
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var stream = File.Create(path);
        data.SaveTo(stream);
    }

    /// <summary>Counts of <paramref name="samples"/> in <see cref="Bins"/> equal bins over [min, max].</summary>
    public static double[] Counts(ReadOnlySpan<float> samples, double min, double max)
    {
        var counts = new double[Bins];
        double width = (max - min) / Bins;
        foreach (float v in samples)
        {
            if (!float.IsFinite(v)) continue;
            int bin = width > 0 ? (int)((v - min) / width) : 0;
            counts[Math.Clamp(bin, 0, Bins - 1)]++;
        }
        return counts;
    }

    private static Plot Cell(float[] samples, (double Min, double Max) range, Color color)
    {
        var plot = new Plot();
        int finite = 0;
        foreach (float v in samples) if (float.IsFinite(v)) finite++;
        if (finite == 0)
        {
            plot.Add.Annotation(samples.Length == 0 ? "no values" : "NaN: diverged", Alignment.MiddleCenter);
            plot.HideGrid();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.EmptyTickGenerator();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.EmptyTickGenerator();
            return plot;
        }
        var counts = Counts(samples, range.Min, range.Max);
        double width = (range.Max - range.Min) / Bins;
        var bars = new List<Bar>(Bins);
        for (int b = 0; b < Bins; b++)
            bars.Add(new Bar { Position = range.Min + (b + 0.5) * width, Value = counts[b], Size = width, FillColor = color, LineWidth = 0 });
        plot.Add.Bars(bars);
        plot.Axes.Margins(bottom: 0);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 10;
        plot.Axes.Left.TickLabelStyle.FontSize = 10;
        return plot;
    }

    /// <summary>The X range of one column: its finite minimum and maximum, widened when degenerate.</summary>
    private static (double Min, double Max) ColumnRange(float[][][] values, int column)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var row in values)
            foreach (float v in row[column])
                if (float.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (!double.IsFinite(min)) return (-1, 1);
        if (max - min < 1e-6) { min -= 0.5; max += 0.5; }
        return (min, max);
    }
}

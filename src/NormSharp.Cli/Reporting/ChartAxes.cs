using ScottPlot;
using ScottPlot.TickGenerators;

namespace NormSharp.Cli.Reporting;

/// <summary>Axis adjustments for the plots of <see cref="Charts"/>.</summary>
public static class ChartAxes
{
    /// <summary>One labelled tick per integer on the X axis (depths, layer numbers): ScottPlot's automatic
    /// ticks would otherwise label 1.5, 2.5 … on a short integer range.</summary>
    public static Plot IntegerTicksX(this Plot plot)
    {
        ArgumentNullException.ThrowIfNull(plot);
        plot.Axes.Bottom.TickGenerator = new NumericFixedInterval(1);
        return plot;
    }
}

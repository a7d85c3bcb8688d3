namespace NormSharp.Cli.Reporting;

/// <summary>One named line of a line plot. Points whose X or Y is NaN are left out (a run that never
/// reached a target, say).</summary>
/// <param name="Label">The legend text.</param>
/// <param name="X">Horizontal coordinates.</param>
/// <param name="Y">Vertical coordinates, as many as <paramref name="X"/>.</param>
/// <param name="Dashed">Draw a dashed line (to pair a variant with its solid counterpart).</param>
/// <param name="Markers">Draw a marker at each point (for sparse sweeps).</param>
public sealed record Series(string Label, double[] X, double[] Y, bool Dashed = false, bool Markers = false);

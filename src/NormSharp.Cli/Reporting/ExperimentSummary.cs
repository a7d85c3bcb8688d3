namespace NormSharp.Cli.Reporting;

/// <summary>
/// One row of <c>report.md</c>'s summary table: what an experiment measured, what its seed claims, and
/// whether the two agree.
/// </summary>
/// <param name="Headline">The experiment's main figure (e.g. "fused BN: train acc 0.905 after 10 epochs").</param>
/// <param name="SeedClaim">The seed's corresponding claim or number.</param>
/// <param name="Verdict">Agreement in a few words ("✔ within 0.3 points", "✘ …", "quick run: not comparable").</param>
public sealed record ExperimentSummary(string Headline, string SeedClaim, string Verdict);

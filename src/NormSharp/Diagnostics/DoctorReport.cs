namespace NormSharp.Diagnostics;

/// <summary>What <see cref="BatchNormDoctor.Examine"/> found, plus what it measured.</summary>
/// <param name="Findings">The problems, most severe first.</param>
/// <param name="TrainModeAccuracy">Validation accuracy with every BN layer normalising by batch statistics
/// (nothing updated), when validation data were given.</param>
/// <param name="EvalModeAccuracy">Validation accuracy in eval mode (running statistics), when validation data were given.</param>
/// <param name="NormalizationLayers">How many BN-family layers the model has.</param>
public sealed record DoctorReport(IReadOnlyList<Finding> Findings, double? TrainModeAccuracy, double? EvalModeAccuracy, int NormalizationLayers)
{
    /// <summary>Whether any finding is a warning or an error.</summary>
    public bool HasProblems => Findings.Any(f => f.Severity >= Severity.Warning);
}

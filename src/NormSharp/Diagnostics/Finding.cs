namespace NormSharp.Diagnostics;

/// <summary>How much a <see cref="Finding"/> matters.</summary>
public enum Severity
{
    /// <summary>Wasteful or unusual, harmless to accuracy (a bias that BN cancels).</summary>
    Info,

    /// <summary>Likely to cost accuracy or stability.</summary>
    Warning,

    /// <summary>The model cannot train or predict correctly as it stands.</summary>
    Error,
}

/// <summary>One problem <see cref="BatchNormDoctor"/> found, and what to do about it.</summary>
/// <param name="Severity">How much it matters.</param>
/// <param name="Code">A stable identifier of the check (e.g. "bias-before-bn"), for scripts and tests.</param>
/// <param name="Layer">The state-dict name of the layer concerned ("3", "1.0"), several separated by ", ", or "" for the whole model.</param>
/// <param name="Message">What is wrong and why it matters.</param>
/// <param name="Fix">How to fix it.</param>
public sealed record Finding(Severity Severity, string Code, string Layer, string Message, string Fix);

/// <summary>The stable codes of <see cref="Finding.Code"/>.</summary>
public static class FindingCodes
{
    public const string BiasBeforeBatchNorm = "bias-before-bn";
    public const string DropoutBeforeBatchNorm = "dropout-before-bn";
    public const string BatchTooSmall = "batch-too-small";
    public const string MomentumConvention = "momentum-convention";
    public const string StatisticsNeverUpdated = "statistics-never-updated";
    public const string FrozenButTraining = "frozen-bn-training";
    public const string TrainEvalGap = "train-eval-gap";
}

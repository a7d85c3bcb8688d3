namespace NormSharp.Models;

/// <summary>Which normalization the model builders of <see cref="ModelZoo"/> put before each hidden activation.</summary>
public enum NormalizationKind
{
    /// <summary>No normalization layer.</summary>
    None,

    /// <summary>BatchNorm1d after Dense, BatchNorm2d after Conv2d.</summary>
    BatchNorm,
}

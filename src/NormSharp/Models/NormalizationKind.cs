namespace NormSharp.Models;

/// <summary>Which normalization the model builders of <see cref="ModelZoo"/> put before each hidden activation.</summary>
public enum NormalizationKind
{
    /// <summary>No normalization layer.</summary>
    None,

    /// <summary>BatchNorm1d after Dense, BatchNorm2d after Conv2d.</summary>
    BatchNorm,

    /// <summary>GroupNorm after Dense and Conv2d, groups from <see cref="ModelZoo.DefaultGroups"/> unless
    /// <see cref="ModelOptions.GroupNormGroups"/> is set. Independent of the batch size.</summary>
    GroupNorm,

    /// <summary>LayerNorm over each sample's features: [C] after Dense, [C, H, W] after Conv2d (PyTorch's
    /// <c>nn.LayerNorm(normalized_shape)</c>). Independent of the batch size.</summary>
    LayerNorm,

    /// <summary>BatchRenorm1d/2d (Ioffe 2017) with <see cref="ModelOptions.RenormRMax"/>, <see cref="ModelOptions.RenormDMax"/>,
    /// <see cref="ModelOptions.RenormWarmupSteps"/>.</summary>
    BatchRenorm,

    /// <summary>GhostBatchNorm1d/2d (Hoffer et al. 2017) with <see cref="ModelOptions.VirtualBatchSize"/>.</summary>
    GhostBatchNorm,
}

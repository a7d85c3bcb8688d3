using NormSharp.Layers;

namespace NormSharp.Models;

/// <summary>The normalization layer a <see cref="ModelZoo"/> builder puts after a Dense or Conv2d layer.</summary>
public static class NormalizationFactory
{
    /// <summary>
    /// Whether <paramref name="kind"/> subtracts a per-channel mean over the batch, which cancels a bias
    /// added right before it (BN, Batch Renorm, Ghost BN). GroupNorm subtracts a mean over a group of
    /// channels and LayerNorm one over all features: a per-channel bias survives them.
    /// </summary>
    public static bool CancelsPrecedingBias(NormalizationKind kind) =>
        kind is NormalizationKind.BatchNorm or NormalizationKind.BatchRenorm or NormalizationKind.GhostBatchNorm;

    /// <summary>
    /// The layer for <paramref name="channels"/> features: after a Dense layer (<paramref name="plane"/>
    /// null, input [N, C]) or after a Conv2d layer (<paramref name="plane"/> = (H, W), input [N, C, H, W]);
    /// null for <see cref="NormalizationKind.None"/>.
    /// </summary>
    public static Module? Create(ModelOptions options, int channels, (int Height, int Width)? plane = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        float eps = options.BatchNormEps;
        bool image = plane is not null;
        float renormMomentum = options.RenormMomentum ?? options.BatchNormMomentum ?? 0.01f;
        return options.Normalization switch
        {
            NormalizationKind.None => null,
            NormalizationKind.BatchNorm => image
                ? new BatchNorm2d(channels, eps, options.BatchNormMomentum)
                : new BatchNorm1d(channels, eps, options.BatchNormMomentum),
            NormalizationKind.BatchRenorm => image
                ? new BatchRenorm2d(channels, eps, options.BatchNormMomentum, rMax: options.RenormRMax, dMax: options.RenormDMax,
                    renormMomentum: renormMomentum, warmupSteps: options.RenormWarmupSteps)
                : new BatchRenorm1d(channels, eps, options.BatchNormMomentum, rMax: options.RenormRMax, dMax: options.RenormDMax,
                    renormMomentum: renormMomentum, warmupSteps: options.RenormWarmupSteps),
            NormalizationKind.GhostBatchNorm => image
                ? new GhostBatchNorm2d(channels, options.VirtualBatchSize, eps, options.BatchNormMomentum)
                : new GhostBatchNorm1d(channels, options.VirtualBatchSize, eps, options.BatchNormMomentum),
            NormalizationKind.GroupNorm => new GroupNorm(options.GroupNormGroups ?? ModelZoo.DefaultGroups(channels), channels, eps),
            NormalizationKind.LayerNorm => new LayerNorm(plane is { } p ? [channels, p.Height, p.Width] : [channels], eps),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Normalization, "unknown normalization kind"),
        };
    }
}

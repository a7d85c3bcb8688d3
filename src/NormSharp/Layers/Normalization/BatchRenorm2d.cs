namespace NormSharp.Layers;

/// <summary>Batch Renormalization over [N, C, H, W] input. See <see cref="BatchRenormBase"/>.</summary>
public sealed class BatchRenorm2d : BatchRenormBase
{
    /// <inheritdoc cref="BatchRenorm1d(int, float, float?, bool, bool, float, float, float, int)"/>
    public BatchRenorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true,
        float rMax = 3f, float dMax = 5f, float renormMomentum = 0.1f, int warmupSteps = 0)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, rMax, dMax, renormMomentum, warmupSteps)
    {
    }

    protected override (int N, int Spatial) Layout(int[] shape) => Layout2d(shape);
}

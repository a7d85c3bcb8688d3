namespace NormSharp.Layers;

/// <summary>Batch Renormalization over [N, C] or [N, C, L] input. See <see cref="BatchRenormBase"/>.</summary>
public sealed class BatchRenorm1d : BatchRenormBase
{
    /// <param name="numFeatures">C, the channel count.</param>
    /// <param name="eps">Added to the variance (1e-5).</param>
    /// <param name="momentum">Weight of the new batch in running_mean/var (0.1), null: cumulative.</param>
    /// <param name="affine">Learn γ and β.</param>
    /// <param name="trackRunningStats">Keep running statistics for eval mode.</param>
    /// <param name="rMax">Clip of r to [1/rMax, rMax] (the paper ends at 3).</param>
    /// <param name="dMax">Clip of d to [−dMax, dMax] (the paper ends at 5).</param>
    /// <param name="renormMomentum">Weight of the new value in renorm_mean/std (0.1, the same as <paramref name="momentum"/>'s default:
    /// keep the two equal, as Keras's defaults do — 0.99 each there, 0.01 here).</param>
    /// <param name="warmupSteps">Batches over which the clipping limits ramp up from (1, 0).</param>
    public BatchRenorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true,
        float rMax = 3f, float dMax = 5f, float renormMomentum = 0.1f, int warmupSteps = 0)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, rMax, dMax, renormMomentum, warmupSteps)
    {
    }

    protected override (int N, int Spatial) Layout(int[] shape) => Layout1d(shape);
}

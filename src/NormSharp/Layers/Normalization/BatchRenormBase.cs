namespace NormSharp.Layers;

/// <summary>
/// Batch Renormalization (Ioffe 2017; Keras <c>BatchNormalization(renorm=True)</c>): in training,
/// <c>y = γ·(x̂·r + d) + β</c> with x̂ normalised by the batch statistics and
/// r = clip(σ_B/σ, 1/rMax, rMax), d = clip((μ_B − μ)/σ, −dMax, dMax), where μ, σ are moving averages
/// of the batch mean and standard deviation σ_B = √(σ²_B + ε). r and d are treated as constants in
/// backward (the paper's stop_gradient). Eval mode is plain BN with the running statistics, so the
/// training output tracks what inference will compute even for small or non-i.i.d. batches.
/// </summary>
/// <remarks>
/// <para>μ and σ live in their own buffers (state keys renorm_mean, renorm_std, as Keras's
/// renorm_mean/renorm_stddev, initialised to 0 and 1), updated after r and d are computed with
/// <see cref="RenormMomentum"/> in PyTorch's convention (weight of the new value: Keras's
/// renorm_momentum 0.99 is 0.01 here). running_mean/var follow BN's rules unchanged. Keep the two momenta equal
/// (Keras's defaults are 0.99 for both; the paper has a single set of averages): r and d pull the training output towards
/// the renorm averages while eval mode normalises with the running ones, and averages of different speeds disagree —
/// the 7-layer MLP on MNIST after 1,500 Adam steps at batch 8 reached 59% eval accuracy with renorm momentum 0.01 against BN momentum 0.1, 87% with 0.1 for
/// both. <c>normsharp doctor</c> flags a mismatch.</para>
/// <para>Clipping warm-up (the paper relaxes rMax from 1 and dMax from 0): for the first
/// <see cref="WarmupSteps"/> training batches the limits grow linearly from (1, 0) to
/// (<see cref="RMax"/>, <see cref="DMax"/>); renorm_steps counts those batches. With rMax = 1 and
/// dMax = 0, r = 1 and d = 0: the layer is exactly BN.</para>
/// </remarks>
public abstract class BatchRenormBase : BatchNormBase
{
    protected BatchRenormBase(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats,
        float rMax, float dMax, float renormMomentum, int warmupSteps)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
        if (!(rMax >= 1)) throw new ArgumentOutOfRangeException(nameof(rMax), rMax, "rMax must be at least 1");
        if (!(dMax >= 0)) throw new ArgumentOutOfRangeException(nameof(dMax), dMax, "dMax must be non-negative");
        if (!(renormMomentum >= 0 && renormMomentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(renormMomentum), renormMomentum,
                "renormMomentum must lie in [0, 1] (weight of the new value; Keras's 0.99 is 0.01 here)");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        RMax = rMax;
        DMax = dMax;
        RenormMomentum = renormMomentum;
        WarmupSteps = warmupSteps;
        RenormMean = Tensor.Zeros(numFeatures);
        RenormStd = Tensor.Full(1f, numFeatures);
        RenormSteps = Tensor.Scalar(0f);
    }

    /// <summary>Upper clip of r (lower clip 1/rMax); Keras renorm_clipping["rmax"].</summary>
    public float RMax { get; }

    /// <summary>Clip of |d|; Keras renorm_clipping["dmax"].</summary>
    public float DMax { get; }

    /// <summary>Weight of the new batch in the renorm moving averages (PyTorch convention).</summary>
    public float RenormMomentum { get; }

    /// <summary>Training batches over which the clipping limits ramp up from (1, 0); 0: no warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>Moving mean μ used for r and d (state key "renorm_mean").</summary>
    public Tensor RenormMean { get; }

    /// <summary>Moving standard deviation σ used for r and d (state key "renorm_std").</summary>
    public Tensor RenormStd { get; }

    /// <summary>Training batches seen by the renorm correction, a rank-0 float tensor (state key "renorm_steps").</summary>
    public Tensor RenormSteps { get; }

    protected override bool CorrectsStatistics => true;

    protected override void Correction(ReadOnlySpan<double> mean, ReadOnlySpan<double> invstd, Span<double> r, Span<double> d)
    {
        var steps = RenormSteps.Span;
        double ramp = WarmupSteps == 0 ? 1 : Math.Min(1, steps[0] / WarmupSteps);
        double rMax = 1 + (RMax - 1) * ramp, dMax = DMax * ramp;
        var mu = RenormMean.Span;
        var sigma = RenormStd.Span;
        double f = RenormMomentum;
        for (int c = 0; c < mean.Length; c++)
        {
            double sigmaB = 1 / invstd[c];
            r[c] = Math.Clamp(sigmaB / sigma[c], 1 / rMax, rMax);
            d[c] = Math.Clamp((mean[c] - mu[c]) / sigma[c], -dMax, dMax);
            mu[c] = (float)((1 - f) * mu[c] + f * mean[c]);
            sigma[c] = (float)((1 - f) * sigma[c] + f * sigmaB);
        }
        steps[0] += 1;
    }

    protected override IEnumerable<(string Name, Tensor Buffer)> OwnBuffers()
    {
        foreach (var buffer in base.OwnBuffers()) yield return buffer;
        yield return ("renorm_mean", RenormMean);
        yield return ("renorm_std", RenormStd);
        yield return ("renorm_steps", RenormSteps);
    }

    public override string Describe() =>
        base.Describe().TrimEnd(')') + FormattableString.Invariant($", rmax={RMax}, dmax={DMax}, renorm_momentum={RenormMomentum}, warmup={WarmupSteps})");
}

using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Batch normalization (Ioffe and Szegedy 2015) with PyTorch's semantics, shared by
/// <see cref="BatchNorm1d"/>, <see cref="BatchNorm2d"/> and the variants (Ghost BN, Batch Renorm):
/// <c>y = (x − E[x]) / √(Var[x] + ε) · γ + β</c> per channel.
/// </summary>
/// <remarks>
/// <para>Training mode (or <see cref="TrackRunningStats"/> false) normalises with the batch mean and the
/// <b>biased</b> batch variance; eval mode with the running statistics. While training with tracked
/// statistics: <c>running = (1 − momentum)·running + momentum·batch</c>, where running_var receives the
/// <b>unbiased</b> batch variance (n/(n−1)); <c>momentum = null</c> gives the cumulative moving average
/// (factor 1/num_batches_tracked). Keras's <c>BatchNormalization(momentum=0.99, epsilon=1e-3)</c> keeps
/// 0.99 of the old value: it is this layer with <c>momentum = 0.01f, eps = 1e-3f</c>.</para>
/// <para>The forward pass is ATen's: statistics, then the folded map y = x·α + β' with
/// α = γ·invstd, β' = β − mean·α. Backward uses the full gradient through the batch mean and variance
/// in the fused form of <see cref="BatchNorm.BackwardReduce"/>; in eval mode the statistics are
/// constants and dx = dy·γ·invstd_running.</para>
/// <para>State-dict keys (PyTorch): weight, bias (when <see cref="Affine"/>), running_mean, running_var,
/// num_batches_tracked (a float scalar tensor holding the count; when <see cref="TrackRunningStats"/>).</para>
/// </remarks>
public abstract partial class BatchNormBase : Module
{
    private static readonly Tensor s_noGradient = new(0);

    /// <summary>Creates the layer with γ = 1, β = 0, running_mean = 0, running_var = 1 (PyTorch's init).</summary>
    protected BatchNormBase(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
    {
        if (numFeatures < 1) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "numFeatures must be at least 1");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be non-negative");
        if (momentum is { } m && !(m >= 0 && m <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum,
                "momentum must lie in [0, 1] (PyTorch convention: the weight of the new batch; Keras's 0.99 is 0.01 here)");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            WeightParameter = new Parameter(Tensor.Full(1f, numFeatures));
            BiasParameter = new Parameter(Tensor.Zeros(numFeatures));
        }
        if (trackRunningStats)
        {
            RunningMean = Tensor.Zeros(numFeatures);
            RunningVar = Tensor.Full(1f, numFeatures);
            NumBatchesTracked = Tensor.Scalar(0f);
        }
    }

    /// <summary>Number of channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>ε added to the variance (PyTorch default 1e-5; Keras uses 1e-3).</summary>
    public float Eps { get; }

    /// <summary>Weight of the new batch in the running averages (PyTorch convention, default 0.1);
    /// null for a cumulative moving average.</summary>
    public float? Momentum { get; }

    /// <summary>Whether γ (weight) and β (bias) are learned.</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept; when false, batch statistics are used in eval mode too.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ, shape [C] (state key "weight"); null when not <see cref="Affine"/>.</summary>
    public Parameter? WeightParameter { get; }

    /// <summary>β, shape [C] (state key "bias"); null when not <see cref="Affine"/>.</summary>
    public Parameter? BiasParameter { get; }

    /// <summary>Running mean, shape [C] (state key "running_mean"); null when not tracking.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running unbiased variance, shape [C] (state key "running_var"); null when not tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Number of training batches seen, a rank-0 float tensor (state key "num_batches_tracked").</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>
    /// When set, training-mode passes normalise with the statistics of the global batch across processes
    /// (synchronized BN; see <see cref="IBatchNormSynchronizer"/>). Not combinable with virtual batches.
    /// </summary>
    public IBatchNormSynchronizer? Synchronizer { get; set; }

    /// <summary>
    /// When set, training-mode forward passes merge their batch statistics into this object instead of
    /// updating the running statistics (used by <see cref="PreciseBatchNorm"/>).
    /// </summary>
    internal BatchNormStatistics? StatisticsCollector { get; set; }

    /// <summary>Checks the input's shape and returns its layout: batch size and values per plane.</summary>
    protected abstract (int N, int Spatial) Layout(int[] shape);

    /// <summary>Samples per virtual batch (Ghost BN) in training; null: the whole batch.</summary>
    protected virtual int? GhostBatchSize => null;

    /// <summary>
    /// Batch Renormalization's correction for one group of batch statistics: r and d (per channel) such
    /// that y = γ·(x̂·r + d) + β. Plain BN: r = 1, d = 0. Called once per (virtual) batch in training.
    /// </summary>
    /// <summary>Whether <see cref="Correction"/> is overridden (Batch Renorm): the plain fused training
    /// kernel folds r = 1, d = 0 and is used only when this is false.</summary>
    protected virtual bool CorrectsStatistics => false;

    protected virtual void Correction(ReadOnlySpan<double> mean, ReadOnlySpan<double> invstd, Span<double> r, Span<double> d)
    {
        r.Fill(1);
        d.Clear();
    }

    public override int[] OutputShape(int[] inputShape)
    {
        Layout(inputShape);
        return (int[])inputShape.Clone();
    }

    protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters()
    {
        if (WeightParameter is not null) yield return ("weight", WeightParameter);
        if (BiasParameter is not null) yield return ("bias", BiasParameter);
    }

    protected override IEnumerable<(string Name, Tensor Buffer)> OwnBuffers()
    {
        if (RunningMean is not null) yield return ("running_mean", RunningMean);
        if (RunningVar is not null) yield return ("running_var", RunningVar);
        if (NumBatchesTracked is not null) yield return ("num_batches_tracked", NumBatchesTracked);
    }

    public override string Describe()
    {
        string momentum = Momentum is { } m ? m.ToString("G", System.Globalization.CultureInfo.InvariantCulture) : "None";
        return $"{GetType().Name}({NumFeatures}, eps={Eps.ToString("G", System.Globalization.CultureInfo.InvariantCulture)}, " +
               $"momentum={momentum}, affine={Affine}, track_running_stats={TrackRunningStats})";
    }

    /// <summary>The error PyTorch raises (same wording) when a channel has a single value in training.</summary>
    protected static InvalidOperationException SingleValueError(int[] shape) =>
        new($"Expected more than 1 value per channel when training, got input size [{string.Join(", ", shape)}]");

    /// <summary>Throws unless dimension 1 of <paramref name="shape"/> is <see cref="NumFeatures"/>.</summary>
    protected void CheckChannels(int[] shape)
    {
        if (shape[1] != NumFeatures)
            throw new ArgumentException(
                $"{GetType().Name}({NumFeatures}): input of shape [{string.Join(", ", shape)}] has {shape[1]} channels in dimension 1, expected {NumFeatures}",
                "x");
    }

    /// <summary>[N, C] → (N, 1); [N, C, L] → (N, L). Shared with the 1d variants.</summary>
    protected (int N, int Spatial) Layout1d(int[] shape)
    {
        if (shape.Length != 2 && shape.Length != 3)
            throw new ArgumentException($"{GetType().Name}: expected 2D or 3D input [N, C] or [N, C, L] (got {shape.Length}D input [{string.Join(", ", shape)}])", "x");
        CheckChannels(shape);
        return (shape[0], shape.Length == 3 ? shape[2] : 1);
    }

    /// <summary>[N, C, H, W] → (N, H·W). Shared with the 2d variants.</summary>
    protected (int N, int Spatial) Layout2d(int[] shape)
    {
        if (shape.Length != 4)
            throw new ArgumentException($"{GetType().Name}: expected 4D input [N, C, H, W] (got {shape.Length}D input [{string.Join(", ", shape)}])", "x");
        CheckChannels(shape);
        return (shape[0], shape[2] * shape[3]);
    }
}

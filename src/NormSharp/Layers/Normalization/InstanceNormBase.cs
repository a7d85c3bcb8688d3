using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Instance normalization (Ulyanov, Vedaldi and Lempitsky 2016; PyTorch's <c>nn.InstanceNorm1d/2d</c>):
/// every (sample, channel) plane is normalised over its own spatial values,
/// <c>y = (x − E[x]) / √(Var[x] + ε) · γ + β</c>, biased variance.
/// </summary>
/// <remarks>
/// <para>PyTorch semantics: affine is off and running statistics are not tracked by default. With
/// <see cref="TrackRunningStats"/>, training updates running_mean/var with the per-instance statistics
/// averaged over the batch (unbiased variance, S/(S−1)) and eval mode normalises with them; without
/// it, eval mode uses the instance statistics too. num_batches_tracked is kept for state-dict
/// compatibility but, as in PyTorch, never incremented; <c>momentum = null</c> therefore leaves the
/// running statistics unchanged (PyTorch 2.x passes 0.0; PyTorch 1.13 rejects None).</para>
/// <para>Runs on the BN kernels viewing the input as [1, N·C, S]: one "BN channel" per instance.</para>
/// </remarks>
public abstract class InstanceNormBase : Module
{
    private static readonly Tensor s_noGradient = new(0);
    private float[] _mean = [], _invstd = [], _alpha = [], _shift = [], _b = [], _k = [];
    private double[] _statMean = [], _statM2 = [], _sumDy = [], _sumDyXmu = [];
    private Tensor? _input, _output, _gradInput;
    private int _n, _spatial;
    private bool _instanceStatistics;

    protected InstanceNormBase(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
    {
        if (numFeatures < 1) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "numFeatures must be at least 1");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be non-negative");
        if (momentum is { } m && !(m >= 0 && m <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must lie in [0, 1] (weight of the new batch)");
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

    public int NumFeatures { get; }
    public float Eps { get; }
    public float? Momentum { get; }
    public bool Affine { get; }
    public bool TrackRunningStats { get; }

    /// <summary>γ (state key "weight"); null unless <see cref="Affine"/>.</summary>
    public Parameter? WeightParameter { get; }

    /// <summary>β (state key "bias"); null unless <see cref="Affine"/>.</summary>
    public Parameter? BiasParameter { get; }

    /// <summary>Running mean (state key "running_mean"); null unless <see cref="TrackRunningStats"/>.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running unbiased variance (state key "running_var"); null unless tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>State key "num_batches_tracked" (never incremented, as in PyTorch); null unless tracking.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Checks the shape; returns (samples, values per plane). Unbatched inputs count as one sample.</summary>
    protected abstract (int N, int Spatial) Layout(int[] shape);

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        (_n, _spatial) = Layout(x.Shape);
        int c = NumFeatures, planes = _n * c;
        _instanceStatistics = Training || !TrackRunningStats;
        if (_instanceStatistics && _spatial <= 1)
            throw new InvalidOperationException($"Expected more than 1 spatial element when training, got input size [{string.Join(", ", x.Shape)}]");
        EnsureState(planes);
        if (_instanceStatistics)
        {
            BatchNorm.Statistics(x.Span, 1, planes, _spatial, _statMean, _statM2);
            for (int j = 0; j < planes; j++)
            {
                _mean[j] = (float)_statMean[j];
                _invstd[j] = (float)(1 / Math.Sqrt(_statM2[j] / _spatial + Eps));
            }
            if (Training && TrackRunningStats) UpdateRunningStatistics();
        }
        else
        {
            for (int j = 0; j < planes; j++)
            {
                _statMean[j] = RunningMean!.Data[j % c];
                _mean[j] = (float)_statMean[j];
                _invstd[j] = (float)(1 / Math.Sqrt((double)RunningVar!.Data[j % c] + Eps));
            }
        }
        for (int j = 0; j < planes; j++)
        {
            double a = Gamma(j % c) * _invstd[j];
            _alpha[j] = (float)a;
            _shift[j] = (float)(Beta(j % c) - _statMean[j] * a);
        }
        _input = x;
        var y = Tensor.Ensure(ref _output, x.Shape);
        BatchNorm.Apply(x.Span, 1, planes, _spatial, _alpha, _shift, y.Span);
        return y;
    }

    /// <summary>PyTorch updates one running copy per instance and averages them over the batch.</summary>
    private void UpdateRunningStatistics()
    {
        double f = Momentum ?? 0.0;
        int c = NumFeatures;
        var rm = RunningMean!.Span;
        var rv = RunningVar!.Span;
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, variance = 0;
            for (int s = 0; s < _n; s++)
            {
                mean += _statMean[s * c + ch];
                variance += _statM2[s * c + ch] / (_spatial - 1);
            }
            rm[ch] = (float)((1 - f) * rm[ch] + f * mean / _n);
            rv[ch] = (float)((1 - f) * rv[ch] + f * variance / _n);
        }
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var x = _input ?? throw new InvalidOperationException($"{GetType().Name}: Backward called before Forward");
        if (!gradOutput.HasShape(x.Shape))
            throw new ArgumentException($"gradOutput has shape {gradOutput.ShapeString()}, the output {x.ShapeString()}", nameof(gradOutput));
        int c = NumFeatures, planes = _n * c;
        BatchNorm.BackwardReduce(x.Span, gradOutput.Span, 1, planes, _spatial, _mean, _sumDy, _sumDyXmu);
        if (WeightParameter is { RequiresGrad: true } w)
            for (int j = 0; j < planes; j++) w.Grad.Data[j % c] += (float)(_sumDyXmu[j] * _invstd[j]);
        if (BiasParameter is { RequiresGrad: true } bias)
            for (int j = 0; j < planes; j++) bias.Grad.Data[j % c] += (float)_sumDy[j];
        if (!NeedsInputGradient) return s_noGradient;
        double m = _spatial;
        for (int j = 0; j < planes; j++)
        {
            // Instance statistics: BN's fused gradient per plane; running statistics: dx = dy·α.
            double invstd = _invstd[j], a = _alpha[j];
            double kk = _instanceStatistics ? _sumDyXmu[j] * invstd * invstd / m : 0;
            _b[j] = (float)(-kk * a);
            _k[j] = _instanceStatistics ? (float)((-_sumDy[j] / m + _statMean[j] * kk) * a) : 0f;
        }
        var dx = Tensor.Ensure(ref _gradInput, x.Shape);
        BatchNorm.BackwardApply(x.Span, gradOutput.Span, 1, planes, _spatial, _alpha, _b, _k, dx.Span);
        return dx;
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

    /// <summary>Shape check shared by the 1d/2d layers: rank <paramref name="rank"/> (batched) or rank − 1 (unbatched).</summary>
    protected (int N, int Spatial) LayoutOf(int[] shape, int rank, string expected)
    {
        bool batched = shape.Length == rank;
        if ((!batched && shape.Length != rank - 1) || shape[batched ? 1 : 0] != NumFeatures)
            throw new ArgumentException(
                $"{GetType().Name}({NumFeatures}): expected input {expected} with C = {NumFeatures}, got [{string.Join(", ", shape)}]", "x");
        int spatial = 1;
        for (int i = batched ? 2 : 1; i < shape.Length; i++) spatial *= shape[i];
        return (batched ? shape[0] : 1, spatial);
    }

    private double Gamma(int channel) => WeightParameter is null ? 1.0 : WeightParameter.Value.Data[channel];

    private double Beta(int channel) => BiasParameter is null ? 0.0 : BiasParameter.Value.Data[channel];

    private void EnsureState(int planes)
    {
        if (_mean.Length == planes) return;
        _mean = new float[planes]; _invstd = new float[planes]; _alpha = new float[planes]; _shift = new float[planes];
        _b = new float[planes]; _k = new float[planes];
        _statMean = new double[planes]; _statM2 = new double[planes]; _sumDy = new double[planes]; _sumDyXmu = new double[planes];
    }
}

using NormSharp.Kernels;

namespace NormSharp.Layers;

public abstract partial class BatchNormBase
{
    // Per-call state, sized [groups·C] (groups = virtual batches in Ghost BN, else 1) and reused while
    // the batch shape stays the same: a steady-state step allocates nothing.
    private float[] _mean = [], _invstd = [], _r = [], _d = [];
    private float[] _alpha = [], _shift = [], _coefB = [], _coefK = [];
    private double[] _statMean = [], _statM2 = [], _statInvstd = [], _rd = [], _dd = [], _sumDy = [], _sumDyXmu = [];
    private Tensor? _input, _output, _gradInput;
    private BatchNormStatistics? _syncStatistics;
    private long _count;
    private int _n, _spatial, _groups;
    private bool _batchStatistics, _synchronized;

    public override Tensor Forward(Tensor x) => Forward(x, FusedActivation.None);

    /// <summary>f(BN(x)) for <see cref="Sequential"/>'s BN → activation fusion: the fused training kernels apply f to
    /// each strip or plane while it is in cache; the other paths (eval, SyncBN, Batch Renorm, Ghost BN's unfused
    /// shapes) apply it over the result afterwards. The same values either way. The backward is unchanged: it never
    /// reads this layer's output, and the activation layer computes dy·f′ from the fused result.</summary>
    internal Tensor Forward(Tensor x, FusedActivation activation) => Forward(x, activation, null);

    /// <summary>As <see cref="Forward(Tensor, FusedActivation)"/>, then the 2×2, stride-2 average pooling of f(BN(x)) into
    /// <paramref name="pooled"/> ([N, C, H/2, W/2], H and W even) for <see cref="Sequential"/>'s BN → activation → pool
    /// fusion: the fused planar kernel pools each plane while it is in cache, the other paths pool the result afterwards.
    /// The same values either way; the layer's output (the activation's) is still written in full for the backward.</summary>
    internal Tensor Forward(Tensor x, FusedActivation activation, Tensor? pooled)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (n, spatial) = Layout(x.Shape);
        int c = NumFeatures;
        bool useBatch = Training || !TrackRunningStats;
        int groups = 1;
        if (useBatch && Training && GhostBatchSize is { } ghost && ghost < n)
        {
            if (n % ghost != 0)
                throw new ArgumentException($"{GetType().Name}: batch size {n} is not a multiple of the virtual batch size {ghost}", nameof(x));
            groups = n / ghost;
        }
        int perGroup = n / groups;
        if (groups > 1 && Training && Synchronizer is not null)
            throw new InvalidOperationException($"{GetType().Name}: virtual batches cannot be synchronized across processes");
        // Synchronized BN checks the global count instead (one sample per process is fine).
        bool synchronized = Training && Synchronizer is not null;
        if (useBatch && !synchronized && (long)perGroup * spatial <= 1) throw SingleValueError(x.Shape);
        EnsureState(groups * c);
        _input = x;
        _n = n;
        _spatial = spatial;
        _groups = groups;
        _batchStatistics = useBatch;
        var y = Tensor.Ensure(ref _output, x.Shape);
        if (pooled is not null) CheckPooledShape(x.Shape, pooled);
        bool activated = useBatch ? ForwardBatch(x, y, perGroup, spatial, activation, pooled) : ForwardRunning(x, y, n, spatial);
        if (!activated && activation != FusedActivation.None) Activations.Apply(activation, y.Span, y.Span);
        if (!activated && pooled is not null)
            Pooling.AvgForward(new Pool2dGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], 2, 2), y.Span, pooled.Span);
        return y;
    }

    private static void CheckPooledShape(int[] shape, Tensor pooled)
    {
        if (shape.Length != 4 || shape[2] % 2 != 0 || shape[3] % 2 != 0 || !pooled.HasShape([shape[0], shape[1], shape[2] / 2, shape[3] / 2]))
            throw new ArgumentException($"pooled output {pooled.ShapeString()} is not the 2×2 pooling of [{string.Join(", ", shape)}] (H and W even)", nameof(pooled));
    }

    /// <summary>Returns whether <paramref name="activation"/> was applied (by the fused kernels), and the pooling into
    /// <paramref name="pooled"/> if given.</summary>
    private bool ForwardBatch(Tensor x, Tensor y, int perGroup, int spatial, FusedActivation activation, Tensor? pooled)
    {
        int c = NumFeatures;
        long count = (long)perGroup * spatial;
        int groupSize = perGroup * c * spatial;
        bool update = Training && TrackRunningStats && StatisticsCollector is null;
        _synchronized = Training && Synchronizer is not null;
        // Plain BN (no hook between statistics and apply): one fused kernel per (virtual) batch.
        bool fused = !_synchronized && StatisticsCollector is null && !(Training && CorrectsStatistics)
            && BatchNorm.FusedApplies(perGroup, c, spatial);
        for (int g = 0; g < _groups; g++)
        {
            var xs = x.Span.Slice(g * groupSize, groupSize);
            var mean = _statMean.AsSpan(g * c, c);
            var m2 = _statM2.AsSpan(g * c, c);
            if (fused)
            {
                ForwardFused(xs, y.Span.Slice(g * groupSize, groupSize), g, perGroup, spatial, activation,
                    pooled is null ? default : pooled.Span.Slice(g * (groupSize / 4), groupSize / 4), pooled is null ? 0 : x.Shape[3]);
                continue;
            }
            // The fused kernels' own reductions where they apply, so every variant agrees with plain BN.
            if (BatchNorm.TrainingReductionsApply(perGroup, c, spatial)) BatchNorm.TrainingStatistics(xs, perGroup, c, spatial, mean, m2);
            else BatchNorm.Statistics(xs, perGroup, c, spatial, mean, m2);
            if (_synchronized)
            {
                count = SynchronizeStatistics(count, mean, m2);
                if (count <= 1) throw SingleValueError(x.Shape);
            }
            if (Training && StatisticsCollector is { } collector) collector.Merge(count, mean, m2);
            var invstd = _statInvstd.AsSpan(g * c, c);
            for (int i = 0; i < c; i++) invstd[i] = 1.0 / Math.Sqrt(m2[i] / count + Eps);
            var r = _rd.AsSpan(g * c, c);
            var d = _dd.AsSpan(g * c, c);
            // Precise BN's collection passes measure plain BN activations and leave renorm state alone.
            if (Training && StatisticsCollector is null) Correction(mean, invstd, r, d);
            else { r.Fill(1); d.Clear(); }
            // Fold: y = γ·(r·(x − μ)·invstd + d) + β = x·α + β',  α = γ·r·invstd,  β' = β + γ·d − μ·α.
            for (int i = 0; i < c; i++)
            {
                double gamma = Gamma(i), a = gamma * r[i] * invstd[i];
                int j = g * c + i;
                _mean[j] = (float)mean[i];
                _invstd[j] = (float)invstd[i];
                _r[j] = (float)r[i];
                _d[j] = (float)d[i];
                _alpha[j] = (float)a;
                _shift[j] = (float)(Beta(i) + gamma * d[i] - mean[i] * a);
            }
            BatchNorm.Apply(xs, perGroup, c, spatial, _alpha.AsSpan(g * c, c), _shift.AsSpan(g * c, c), y.Span.Slice(g * groupSize, groupSize));
        }
        _count = count;
        if (update) UpdateRunningStatistics(count);
        return fused;
    }

    /// <summary>Group <paramref name="g"/> through <see cref="BatchNorm.ForwardTraining"/> (r = 1, d = 0), then
    /// the per-channel state the backward and the running statistics need, as the unfused path leaves it.</summary>
    private void ForwardFused(ReadOnlySpan<float> xs, Span<float> ys, int g, int perGroup, int spatial, FusedActivation activation,
        Span<float> pooled, int planeWidth)
    {
        int c = NumFeatures;
        var mean = _statMean.AsSpan(g * c, c);
        var m2 = _statM2.AsSpan(g * c, c);
        ReadOnlySpan<float> gamma = WeightParameter is null ? default : WeightParameter.Value.Span;
        ReadOnlySpan<float> beta = BiasParameter is null ? default : BiasParameter.Value.Span;
        var invstd = _statInvstd.AsSpan(g * c, c);
        BatchNorm.ForwardTraining(xs, perGroup, c, spatial, gamma, beta, Eps, mean, m2, invstd,
            _alpha.AsSpan(g * c, c), _shift.AsSpan(g * c, c), ys, activation, pooled, planeWidth);
        _rd.AsSpan(g * c, c).Fill(1);
        _dd.AsSpan(g * c, c).Clear();
        _r.AsSpan(g * c, c).Fill(1);
        _d.AsSpan(g * c, c).Clear();
        BatchNorm.Narrow(mean, _mean.AsSpan(g * c, c));
        BatchNorm.Narrow(invstd, _invstd.AsSpan(g * c, c));
    }

    /// <summary>Local → global statistics through <see cref="Synchronizer"/>; returns the global count.</summary>
    private long SynchronizeStatistics(long count, Span<double> mean, Span<double> m2)
    {
        var statistics = _syncStatistics ??= new BatchNormStatistics(NumFeatures);
        statistics.Set(count, mean, m2);
        Synchronizer!.SynchronizeStatistics(statistics);
        statistics.Mean.CopyTo(mean);
        statistics.M2.CopyTo(m2);
        return statistics.Count;
    }

    /// <summary>Returns false: the activation is left to the caller.</summary>
    private bool ForwardRunning(Tensor x, Tensor y, int n, int spatial)
    {
        int c = NumFeatures;
        var rm = RunningMean!.Span;
        var rv = RunningVar!.Span;
        for (int i = 0; i < c; i++)
        {
            double invstd = 1.0 / Math.Sqrt((double)rv[i] + Eps), a = Gamma(i) * invstd;
            _mean[i] = rm[i];
            _invstd[i] = (float)invstd;
            _r[i] = 1;
            _d[i] = 0;
            _alpha[i] = (float)a;
            _shift[i] = (float)(Beta(i) - rm[i] * a);
        }
        BatchNorm.Apply(x.Span, n, c, spatial, _alpha.AsSpan(0, c), _shift.AsSpan(0, c), y.Span);
        return false;
    }

    /// <summary>running = (1 − f)·running + f·batch, f = momentum or 1/num_batches_tracked; the variance
    /// is the unbiased one. With virtual batches the batch values are the averages over the virtual
    /// batches (Keras's rule for ghost batches).</summary>
    private void UpdateRunningStatistics(long count)
    {
        int c = NumFeatures;
        var tracked = NumBatchesTracked!.Span;
        tracked[0] += 1;
        double f = Momentum ?? 1.0 / tracked[0];
        var rm = RunningMean!.Span;
        var rv = RunningVar!.Span;
        if (_groups == 1)
        {
            // The same update as the loop below with one group (x / 1 is x), four channels at a time.
            BatchNorm.UpdateRunningStatistics(rm, rv, _statMean.AsSpan(0, c), _statM2.AsSpan(0, c), count, f);
            return;
        }
        for (int i = 0; i < c; i++)
        {
            double mean = 0, variance = 0;
            for (int g = 0; g < _groups; g++)
            {
                mean += _statMean[g * c + i];
                variance += _statM2[g * c + i] / (count - 1);
            }
            rm[i] = (float)((1 - f) * rm[i] + f * mean / _groups);
            rv[i] = (float)((1 - f) * rv[i] + f * variance / _groups);
        }
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var x = _input ?? throw new InvalidOperationException($"{GetType().Name}: Backward called before Forward");
        if (!gradOutput.HasShape(x.Shape))
            throw new ArgumentException($"gradOutput has shape {gradOutput.ShapeString()}, the output {x.ShapeString()}", nameof(gradOutput));
        int c = NumFeatures, perGroup = _n / _groups, groupSize = perGroup * c * _spatial;
        long count = _count; // global when synchronized
        bool paramGrads = WeightParameter is { RequiresGrad: true } || BiasParameter is { RequiresGrad: true };
        bool inputGrad = NeedsInputGradient;
        Tensor? dx = inputGrad ? Tensor.Ensure(ref _gradInput, x.Shape) : null;
        for (int g = 0; g < _groups; g++)
        {
            var xs = x.Span.Slice(g * groupSize, groupSize);
            var dys = gradOutput.Span.Slice(g * groupSize, groupSize);
            var mean = _mean.AsSpan(g * c, c);
            if (inputGrad && _batchStatistics && !_synchronized && BatchNorm.FusedApplies(perGroup, c, _spatial))
            {
                // No hook between the reduction and dx: one fused kernel.
                BatchNorm.BackwardTraining(xs, dys, perGroup, c, _spatial, mean, _invstd.AsSpan(g * c, c), _alpha.AsSpan(g * c, c),
                    _sumDy, _sumDyXmu, _coefB.AsSpan(g * c, c), _coefK.AsSpan(g * c, c), dx!.Span.Slice(g * groupSize, groupSize));
                if (paramGrads) AccumulateParameterGradients(g);
                continue;
            }
            if (paramGrads || (_batchStatistics && inputGrad))
            {
                if (BatchNorm.TrainingReductionsApply(perGroup, c, _spatial)) BatchNorm.TrainingBackwardReduce(xs, dys, perGroup, c, _spatial, mean, _sumDy, _sumDyXmu);
                else BatchNorm.BackwardReduce(xs, dys, perGroup, c, _spatial, mean, _sumDy, _sumDyXmu);
                AccumulateParameterGradients(g);
            }
            if (!inputGrad) continue;
            if (_synchronized) Synchronizer!.SynchronizeGradientSums(_sumDy, _sumDyXmu);
            var dxs = dx!.Span.Slice(g * groupSize, groupSize);
            if (!_batchStatistics)
            {
                // Eval: mean and variance are constants, dx = dy·γ·invstd (α without the shift).
                _coefK.AsSpan(0, c).Clear();
                BatchNorm.Apply(dys, perGroup, c, _spatial, _alpha.AsSpan(0, c), _coefK.AsSpan(0, c), dxs);
                continue;
            }
            // dx = (dy − Σdy/m − (x − μ)·Σ((x − μ)dy)·invstd²/m)·invstd·γ·r  =  dy·a + x·b + k.
            for (int i = 0; i < c; i++)
            {
                int j = g * c + i;
                double invstd = _invstd[j], a = _alpha[j]; // the forward's α = γ·r·invstd
                double kk = _sumDyXmu[i] * invstd * invstd / count;
                _coefB[j] = (float)(-kk * a);
                _coefK[j] = (float)((-_sumDy[i] / count + _mean[j] * kk) * a);
            }
            BatchNorm.BackwardApply(xs, dys, perGroup, c, _spatial, _alpha.AsSpan(g * c, c), _coefB.AsSpan(g * c, c), _coefK.AsSpan(g * c, c), dxs);
        }
        return dx ?? s_noGradient;
    }

    /// <summary>dγ += Σ dy·(x̂·r + d) = r·invstd·Σ(x − μ)dy + d·Σdy;  dβ += Σ dy.</summary>
    private void AccumulateParameterGradients(int group)
    {
        int c = NumFeatures;
        Span<float> dGamma = WeightParameter is { RequiresGrad: true } w ? w.Grad.Span[..c] : default;
        Span<float> dBeta = BiasParameter is { RequiresGrad: true } b ? b.Grad.Span[..c] : default;
        BatchNorm.AccumulateAffineGradients(dGamma, dBeta, _r.AsSpan(group * c, c), _invstd.AsSpan(group * c, c), _d.AsSpan(group * c, c),
            _sumDyXmu.AsSpan(0, c), _sumDy.AsSpan(0, c));
    }

    private double Gamma(int channel) => WeightParameter is null ? 1.0 : WeightParameter.Value.Data[channel];

    private double Beta(int channel) => BiasParameter is null ? 0.0 : BiasParameter.Value.Data[channel];

    private void EnsureState(int length)
    {
        if (_mean.Length == length) return;
        _mean = new float[length]; _invstd = new float[length]; _r = new float[length]; _d = new float[length];
        _alpha = new float[length]; _shift = new float[length]; _coefB = new float[length]; _coefK = new float[length];
        _statMean = new double[length]; _statM2 = new double[length]; _statInvstd = new double[length];
        _rd = new double[length]; _dd = new double[length];
        _sumDy = new double[NumFeatures]; _sumDyXmu = new double[NumFeatures];
    }
}

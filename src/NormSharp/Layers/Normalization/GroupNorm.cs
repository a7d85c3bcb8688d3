using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Group normalization (Wu and He 2018; PyTorch's <c>nn.GroupNorm</c>): the C channels of each sample
/// are split into <see cref="NumGroups"/> groups, each normalised over its (C/G)·spatial values,
/// <c>y = (x − E[x]) / √(Var[x] + ε) · γ + β</c> with per-channel γ, β. Input [N, C, *]. Same in
/// training and eval, independent of the batch size: the issue's recommendation for small batches.
/// </summary>
/// <remarks>
/// Runs on the BN kernels through views: statistics on [1, N·G, (C/G)·S]; the affine map on
/// [1, N·C, S] with per-(sample, channel) α = γ_c·invstd_ng, β' = β_c − μ_ng·α. Backward, with
/// ĝ = dy·γ_c, m = (C/G)·S: dx = invstd·(ĝ − Σ_group ĝ/m − x̂·Σ_group(ĝ·x̂)/m).
/// State keys: weight, bias (when <see cref="Affine"/>).
/// </remarks>
public sealed class GroupNorm : Module
{
    private static readonly Tensor s_noGradient = new(0);
    private float[] _mean = [], _invstd = [], _alpha = [], _shift = [], _b = [], _k = [], _channelMean = [];
    private double[] _statMean = [], _statM2 = [], _sumDy = [], _sumDyXmu = [];
    private Tensor? _input, _output, _gradInput;
    private int _n, _spatial;

    /// <param name="numGroups">G; must divide <paramref name="numChannels"/>.</param>
    /// <param name="numChannels">C, dimension 1 of the input.</param>
    /// <param name="eps">Added to the variance (PyTorch default 1e-5).</param>
    /// <param name="affine">Learn per-channel γ (init 1) and β (init 0).</param>
    public GroupNorm(int numGroups, int numChannels, float eps = 1e-5f, bool affine = true)
    {
        if (numGroups < 1) throw new ArgumentOutOfRangeException(nameof(numGroups), numGroups, "numGroups must be at least 1");
        if (numChannels < 1 || numChannels % numGroups != 0)
            throw new ArgumentException($"numChannels ({numChannels}) must be a positive multiple of numGroups ({numGroups})", nameof(numChannels));
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be non-negative");
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        Affine = affine;
        if (affine)
        {
            WeightParameter = new Parameter(Tensor.Full(1f, numChannels));
            BiasParameter = new Parameter(Tensor.Zeros(numChannels));
        }
    }

    public int NumGroups { get; }
    public int NumChannels { get; }
    public float Eps { get; }
    public bool Affine { get; }

    /// <summary>γ (state key "weight"), shape [C]; null without affine.</summary>
    public Parameter? WeightParameter { get; }

    /// <summary>β (state key "bias"), shape [C]; null without affine.</summary>
    public Parameter? BiasParameter { get; }

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        (_n, _spatial) = CheckShape(x.Shape);
        int c = NumChannels, g = NumGroups, perGroup = c / g * _spatial;
        EnsureState(_n);
        BatchNorm.Statistics(x.Span, 1, _n * g, perGroup, _statMean, _statM2);
        for (int i = 0; i < _n * g; i++)
        {
            _mean[i] = (float)_statMean[i];
            _invstd[i] = (float)(1 / Math.Sqrt(_statM2[i] / perGroup + Eps));
        }
        for (int s = 0; s < _n; s++)
            for (int ch = 0; ch < c; ch++)
            {
                int j = s * c + ch, group = s * g + ch / (c / g);
                double a = Gamma(ch) * _invstd[group];
                _channelMean[j] = _mean[group];
                _alpha[j] = (float)a;
                _shift[j] = (float)(Beta(ch) - _statMean[group] * a);
            }
        _input = x;
        var y = Tensor.Ensure(ref _output, x.Shape);
        BatchNorm.Apply(x.Span, 1, _n * c, _spatial, _alpha, _shift, y.Span);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var x = _input ?? throw new InvalidOperationException("GroupNorm: Backward called before Forward");
        if (!gradOutput.HasShape(x.Shape))
            throw new ArgumentException($"gradOutput has shape {gradOutput.ShapeString()}, the output {x.ShapeString()}", nameof(gradOutput));
        int c = NumChannels, g = NumGroups, cpg = c / g;
        double m = (double)cpg * _spatial;
        BatchNorm.BackwardReduce(x.Span, gradOutput.Span, 1, _n * c, _spatial, _channelMean, _sumDy, _sumDyXmu);
        if (WeightParameter is { RequiresGrad: true } w)
        {
            var dw = w.Grad.Span;
            for (int s = 0; s < _n; s++)
                for (int ch = 0; ch < c; ch++) dw[ch] += (float)(_sumDyXmu[s * c + ch] * _invstd[s * g + ch / cpg]);
        }
        if (BiasParameter is { RequiresGrad: true } b)
        {
            var db = b.Grad.Span;
            for (int s = 0; s < _n; s++)
                for (int ch = 0; ch < c; ch++) db[ch] += (float)_sumDy[s * c + ch];
        }
        if (!NeedsInputGradient) return s_noGradient;
        for (int group = 0; group < _n * g; group++)
        {
            int s = group / g, c0 = group % g * cpg;
            double sumG = 0, sumGxmu = 0; // Σ ĝ and Σ ĝ·(x − μ) over the group
            for (int ch = c0; ch < c0 + cpg; ch++)
            {
                sumG += Gamma(ch) * _sumDy[s * c + ch];
                sumGxmu += Gamma(ch) * _sumDyXmu[s * c + ch];
            }
            double invstd = _invstd[group], kk = sumGxmu * invstd * invstd / m;
            for (int ch = c0; ch < c0 + cpg; ch++)
            {
                // dx = dy·(γ·invstd) + x·(−kk·invstd) + (μ·kk − Σĝ/m)·invstd.
                int j = s * c + ch;
                _alpha[j] = (float)(Gamma(ch) * invstd);
                _b[j] = (float)(-kk * invstd);
                _k[j] = (float)((_statMean[group] * kk - sumG / m) * invstd);
            }
        }
        var dx = Tensor.Ensure(ref _gradInput, x.Shape);
        BatchNorm.BackwardApply(x.Span, gradOutput.Span, 1, _n * c, _spatial, _alpha, _b, _k, dx.Span);
        return dx;
    }

    public override int[] OutputShape(int[] inputShape)
    {
        CheckShape(inputShape);
        return (int[])inputShape.Clone();
    }

    protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters()
    {
        if (WeightParameter is not null) yield return ("weight", WeightParameter);
        if (BiasParameter is not null) yield return ("bias", BiasParameter);
    }

    public override string Describe() =>
        $"GroupNorm({NumGroups}, {NumChannels}, eps={Eps.ToString("G", System.Globalization.CultureInfo.InvariantCulture)}, affine={Affine})";

    private double Gamma(int channel) => WeightParameter is null ? 1.0 : WeightParameter.Value.Data[channel];

    private double Beta(int channel) => BiasParameter is null ? 0.0 : BiasParameter.Value.Data[channel];

    private (int N, int Spatial) CheckShape(int[] shape)
    {
        if (shape.Length < 2 || shape[1] != NumChannels)
            throw new ArgumentException(
                $"GroupNorm({NumGroups}, {NumChannels}): expected input [N, {NumChannels}, *], got [{string.Join(", ", shape)}]", "x");
        int spatial = 1;
        for (int i = 2; i < shape.Length; i++) spatial *= shape[i];
        return (shape[0], spatial);
    }

    private void EnsureState(int n)
    {
        int groups = n * NumGroups, channels = n * NumChannels;
        if (_mean.Length == groups) return;
        _mean = new float[groups]; _invstd = new float[groups];
        _statMean = new double[groups]; _statM2 = new double[groups];
        _alpha = new float[channels]; _shift = new float[channels]; _b = new float[channels]; _k = new float[channels];
        _channelMean = new float[channels]; _sumDy = new double[channels]; _sumDyXmu = new double[channels];
    }
}

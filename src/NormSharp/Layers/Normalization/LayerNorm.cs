using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Layer normalization (Ba, Kiros and Hinton 2016; PyTorch's <c>nn.LayerNorm</c>): each sample is
/// normalised over its trailing <see cref="NormalizedShape"/> dimensions,
/// <c>y = (x − E[x]) / √(Var[x] + ε) · γ + β</c>, with the biased variance and element-wise γ, β of
/// shape <see cref="NormalizedShape"/>. The same computation in training and eval mode, no running
/// statistics, independent of the batch size (one of the issue's fixes for small batches).
/// State keys: weight, bias (when <see cref="ElementwiseAffine"/>).
/// </summary>
public sealed class LayerNorm : Module
{
    private static readonly Tensor s_noGradient = new(0);
    private readonly int _width;
    private float[] _mean = [], _invstd = [];
    private double[] _statMean = [], _statM2 = [];
    private Tensor? _input, _output, _gradInput;
    private int _rows;

    /// <param name="normalizedShape">The trailing dimensions to normalise over (e.g. [C] for [N, C], [C, H, W] for images).</param>
    /// <param name="eps">Added to the variance (PyTorch default 1e-5).</param>
    /// <param name="elementwiseAffine">Learn γ (init 1) and β (init 0) of shape <paramref name="normalizedShape"/>.</param>
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
            throw new ArgumentException($"normalizedShape must list positive dimensions, got [{string.Join(", ", normalizedShape)}]", nameof(normalizedShape));
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be non-negative");
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        _width = normalizedShape.Aggregate(1, (a, b) => checked(a * b));
        if (elementwiseAffine)
        {
            WeightParameter = new Parameter(Tensor.Full(1f, normalizedShape));
            BiasParameter = new Parameter(Tensor.Zeros(normalizedShape));
        }
    }

    /// <summary>The trailing dimensions normalised over.</summary>
    public int[] NormalizedShape { get; }

    /// <summary>ε added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Whether γ and β are learned.</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>γ (state key "weight"), shape <see cref="NormalizedShape"/>; null without affine.</summary>
    public Parameter? WeightParameter { get; }

    /// <summary>β (state key "bias"); null without affine.</summary>
    public Parameter? BiasParameter { get; }

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        _rows = CheckShape(x.Shape);
        if (_mean.Length != _rows)
        {
            _mean = new float[_rows]; _invstd = new float[_rows];
            _statMean = new double[_rows]; _statM2 = new double[_rows];
        }
        // Row statistics: the BN statistics kernel on the view [1, rows, width] (one "channel" per row).
        BatchNorm.Statistics(x.Span, 1, _rows, _width, _statMean, _statM2);
        for (int r = 0; r < _rows; r++)
        {
            _mean[r] = (float)_statMean[r];
            _invstd[r] = (float)(1 / Math.Sqrt(_statM2[r] / _width + Eps));
        }
        _input = x;
        var y = Tensor.Ensure(ref _output, x.Shape);
        LayerNormKernel.Apply(x.Span, _rows, _width, _mean, _invstd, Gamma, Beta, y.Span);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var x = _input ?? throw new InvalidOperationException("LayerNorm: Backward called before Forward");
        if (!gradOutput.HasShape(x.Shape))
            throw new ArgumentException($"gradOutput has shape {gradOutput.ShapeString()}, the output {x.ShapeString()}", nameof(gradOutput));
        if (WeightParameter is { RequiresGrad: true } || BiasParameter is { RequiresGrad: true })
            LayerNormKernel.BackwardParameters(x.Span, gradOutput.Span, _rows, _width, _mean, _invstd,
                WeightParameter is { RequiresGrad: true } w ? w.Grad.Span : default,
                BiasParameter is { RequiresGrad: true } b ? b.Grad.Span : default);
        if (!NeedsInputGradient) return s_noGradient;
        var dx = Tensor.Ensure(ref _gradInput, x.Shape);
        LayerNormKernel.BackwardInput(x.Span, gradOutput.Span, _rows, _width, _mean, _invstd, Gamma, dx.Span);
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
        $"LayerNorm([{string.Join(", ", NormalizedShape)}], eps={Eps.ToString("G", System.Globalization.CultureInfo.InvariantCulture)}, elementwise_affine={ElementwiseAffine})";

    private ReadOnlySpan<float> Gamma => WeightParameter is null ? default : WeightParameter.Value.Span;

    private ReadOnlySpan<float> Beta => BiasParameter is null ? default : BiasParameter.Value.Span;

    /// <summary>Checks that the input ends with <see cref="NormalizedShape"/>; returns the number of rows.</summary>
    private int CheckShape(int[] shape)
    {
        int k = NormalizedShape.Length;
        bool ok = shape.Length >= k;
        for (int i = 0; ok && i < k; i++) ok = shape[shape.Length - k + i] == NormalizedShape[i];
        if (!ok)
            throw new ArgumentException(
                $"LayerNorm: input of shape [{string.Join(", ", shape)}] does not end with the normalized shape [{string.Join(", ", NormalizedShape)}]", "x");
        int rows = 1;
        for (int i = 0; i < shape.Length - k; i++) rows *= shape[i];
        return rows;
    }
}

using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// The "from scratch" BN of seed 004 (d2l's <c>BatchNorm(num_features, num_dims)</c> class), built on the
/// plain double-precision formulas of <see cref="BatchNormReference"/> instead of the fused layer. As d2l:
/// γ = 1, β = 0, eps 1e-5, moving averages with d2l's momentum 0.9 (moving = 0.9·moving + 0.1·batch, i.e.
/// PyTorch momentum 0.1) of the batch mean and of the <em>biased</em> batch variance (d2l stores the biased
/// one; PyTorch the unbiased one). Works on [N, C] (num_dims 2) and [N, C, H, W] (num_dims 4).
/// </summary>
internal sealed class ScratchBatchNorm : Module
{
    private const double Eps = 1e-5;
    private const float Momentum = 0.9f;
    private readonly Parameter _gamma;
    private readonly Parameter _beta;
    private readonly Tensor _movingMean;
    private readonly Tensor _movingVar;
    private readonly double[] _mean;
    private readonly double[] _variance;
    private readonly double[] _dGamma;
    private readonly double[] _dBeta;
    private readonly float[] _alpha;
    private readonly float[] _shift;
    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _inputGradient;

    public ScratchBatchNorm(int numFeatures)
    {
        NumFeatures = numFeatures;
        _gamma = new Parameter(Tensor.Full(1f, numFeatures));
        _beta = new Parameter(Tensor.Zeros(numFeatures));
        _movingMean = Tensor.Zeros(numFeatures);
        _movingVar = Tensor.Full(1f, numFeatures);
        _mean = new double[numFeatures];
        _variance = new double[numFeatures];
        _dGamma = new double[numFeatures];
        _dBeta = new double[numFeatures];
        _alpha = new float[numFeatures];
        _shift = new float[numFeatures];
    }

    public int NumFeatures { get; }

    /// <summary>The learned scale γ (d2l's <c>gamma</c>).</summary>
    public Tensor Gamma => _gamma.Value;

    /// <summary>The learned shift β (d2l's <c>beta</c>).</summary>
    public Tensor Beta => _beta.Value;

    public override Tensor Forward(Tensor x)
    {
        var (n, spatial) = Layout(x);
        _input = x;
        var y = Tensor.Ensure(ref _output, x.Shape);
        if (Training)
        {
            BatchNormReference.ForwardTraining(x.Span, n, NumFeatures, spatial, _gamma.Value.Span, _beta.Value.Span, Eps, y.Span, _mean, _variance);
            var mm = _movingMean.Span;
            var mv = _movingVar.Span;
            for (int c = 0; c < NumFeatures; c++)
            {
                mm[c] = Momentum * mm[c] + (1 - Momentum) * (float)_mean[c];
                mv[c] = Momentum * mv[c] + (1 - Momentum) * (float)_variance[c];
            }
            return y;
        }
        // Eval: x̂ = (x − moving_mean)/√(moving_var + ε), folded into y = x·α + shift.
        for (int c = 0; c < NumFeatures; c++)
        {
            double alpha = _gamma.Value.Span[c] / Math.Sqrt(_movingVar.Span[c] + Eps);
            _alpha[c] = (float)alpha;
            _shift[c] = (float)(_beta.Value.Span[c] - _movingMean.Span[c] * alpha);
        }
        BatchNormReference.Apply(x.Span, n, NumFeatures, spatial, _alpha, _shift, y.Span);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        var x = _input ?? throw new InvalidOperationException("Backward called before Forward");
        var (n, spatial) = Layout(x);
        var dx = Tensor.Ensure(ref _inputGradient, x.Shape);
        BatchNormReference.BackwardTraining(x.Span, gradOutput.Span, n, NumFeatures, spatial, _gamma.Value.Span, Eps, dx.Span, _dGamma, _dBeta);
        var gg = _gamma.Grad.Span;
        var gb = _beta.Grad.Span;
        for (int c = 0; c < NumFeatures; c++)
        {
            gg[c] += (float)_dGamma[c];
            gb[c] += (float)_dBeta[c];
        }
        return dx;
    }

    public override int[] OutputShape(int[] inputShape) => inputShape;

    protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters() => [("gamma", _gamma), ("beta", _beta)];

    protected override IEnumerable<(string Name, Tensor Buffer)> OwnBuffers() => [("moving_mean", _movingMean), ("moving_var", _movingVar)];

    public override string Describe() => $"ScratchBatchNorm({NumFeatures})";

    private (int N, int Spatial) Layout(Tensor x)
    {
        if ((x.Rank != 2 && x.Rank != 4) || x.Dim(1) != NumFeatures)
            throw new ArgumentException($"ScratchBatchNorm({NumFeatures}) expects [N, {NumFeatures}] or [N, {NumFeatures}, H, W], got {x.ShapeString()}", nameof(x));
        return (x.Dim(0), x.Rank == 4 ? x.Dim(2) * x.Dim(3) : 1);
    }
}

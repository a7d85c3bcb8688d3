using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// The network of seed 003 (莫烦's TensorFlow BN tutorial), written layer by layer as the seed writes its
/// <c>add_layer</c>: x·W + b with W [in, out] drawn from N(0, 1) and b = 0.1, optionally batch-normalised
/// before the activation, then ReLU or tanh; a linear output unit; cost mean((y − ŷ)²); plain SGD.
/// With BN the input is normalised too (the seed's "BN for the first input"). The engine supplies the
/// GEMM and <see cref="BatchNorm1d"/> (EMA running statistics; the seed's decay 0.5 is PyTorch momentum 0.5).
/// Every hidden layer's pre-activation values are kept after each forward pass, which is what the seed
/// plots.
/// </summary>
internal sealed class ToyRegressionNet
{
    private readonly Parameter[] _weights;
    private readonly Parameter[] _biases;
    private readonly BatchNorm1d? _inputNorm;
    private readonly BatchNorm1d?[] _norms;
    private readonly Tensor[] _layerInputs;
    private readonly Tensor?[] _affine;
    private readonly Tensor[] _preActivations;
    private readonly Tensor?[] _activations;
    private readonly Tensor?[] _inputGradients;
    private Tensor? _outputGradient;
    private readonly bool _relu;
    private Tensor? _prediction;

    /// <param name="activation">"relu" or "tanh".</param>
    /// <param name="batchNorm">Normalise the input and every hidden pre-activation.</param>
    /// <param name="rng">Source of the N(0, 1) weights (the same seed gives both variants the same weights).</param>
    /// <param name="hiddenLayers">Seed: 7.</param>
    /// <param name="hiddenUnits">Seed: 30.</param>
    public ToyRegressionNet(string activation, bool batchNorm, Rng rng, int hiddenLayers = 7, int hiddenUnits = 30)
    {
        _relu = activation switch
        {
            "relu" => true,
            "tanh" => false,
            _ => throw new ArgumentException($"activation must be 'relu' or 'tanh', got '{activation}'", nameof(activation)),
        };
        HiddenLayers = hiddenLayers;
        _weights = new Parameter[hiddenLayers + 1];
        _biases = new Parameter[hiddenLayers + 1];
        _norms = new BatchNorm1d?[hiddenLayers];
        _layerInputs = new Tensor[hiddenLayers + 1];
        _affine = new Tensor?[hiddenLayers];
        _preActivations = new Tensor[hiddenLayers];
        _activations = new Tensor?[hiddenLayers];
        _inputGradients = new Tensor?[hiddenLayers + 1];
        for (int l = 0; l <= hiddenLayers; l++)
        {
            int fanIn = l == 0 ? 1 : hiddenUnits, fanOut = l == hiddenLayers ? 1 : hiddenUnits;
            var w = new Tensor(fanIn, fanOut);
            foreach (ref float v in w.Span) v = rng.NextGaussian();
            _weights[l] = new Parameter(w);
            _biases[l] = new Parameter(Tensor.Full(0.1f, fanOut));
            if (batchNorm && l < hiddenLayers) _norms[l] = new BatchNorm1d(hiddenUnits, eps: 1e-3f, momentum: 0.5f);
        }
        if (batchNorm) _inputNorm = new BatchNorm1d(1, eps: 1e-3f, momentum: 0.5f);
    }

    /// <summary>Number of hidden layers.</summary>
    public int HiddenLayers { get; }

    /// <summary>Every trainable parameter (weights, biases, BN γ and β).</summary>
    public IEnumerable<Parameter> Parameters()
    {
        for (int l = 0; l < _weights.Length; l++)
        {
            yield return _weights[l];
            yield return _biases[l];
        }
        foreach (var norm in _norms.Prepend(_inputNorm))
            if (norm is not null)
                foreach (var (_, p) in norm.NamedParameters()) yield return p;
    }

    /// <summary>The (normalised) pre-activation values of hidden layer <paramref name="layer"/> from the last forward pass, [N, units].</summary>
    public Tensor PreActivation(int layer) => _preActivations[layer];

    /// <summary>The activation outputs of hidden layer <paramref name="layer"/> from the last forward pass.</summary>
    public Tensor Activation(int layer) => _activations[layer]!;

    /// <summary>The network input after the optional input BN, from the last forward pass.</summary>
    public Tensor NetworkInput => _layerInputs[0];

    /// <summary>Forward pass in training mode (batch statistics, as the seed's graph); returns the cost mean((y − ŷ)²).</summary>
    public float Forward(Tensor x, Tensor y)
    {
        int n = x.Dim(0);
        _layerInputs[0] = _inputNorm is null ? x : _inputNorm.Forward(x);
        for (int l = 0; l < HiddenLayers; l++)
        {
            var z = Affine(_layerInputs[l], l, ref _affine[l]);
            if (_norms[l] is { } norm) z = norm.Forward(z);
            _preActivations[l] = z;
            var a = Tensor.Ensure(ref _activations[l], z.Shape);
            var zs = z.Span;
            var As = a.Span;
            for (int i = 0; i < zs.Length; i++) As[i] = _relu ? MathF.Max(zs[i], 0) : MathF.Tanh(zs[i]);
            _layerInputs[l + 1] = a;
        }
        var prediction = Affine(_layerInputs[HiddenLayers], HiddenLayers, ref _prediction);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double d = prediction.Span[i] - y.Span[i];
            sum += d * d;
        }
        return (float)(sum / n);
    }

    /// <summary>One SGD step: forward, backward through every layer (BN included), update.</summary>
    public float TrainStep(Tensor x, Tensor y, Optimizers.Optimizer optimizer)
    {
        optimizer.ZeroGrad();
        float cost = Forward(x, y);
        int n = x.Dim(0);
        // d cost / d ŷ = 2(ŷ − y)/N for the mean of squared errors.
        var grad = Tensor.Ensure(ref _outputGradient, n, 1);
        for (int i = 0; i < n; i++) grad.Span[i] = 2f * (_prediction!.Span[i] - y.Span[i]) / n;
        for (int l = HiddenLayers; l >= 0; l--)
        {
            if (l < HiddenLayers)
            {
                // Through the activation: ReLU' = [z > 0]; tanh' = 1 − tanh².
                var z = _preActivations[l].Span;
                var a = _activations[l]!.Span;
                var g = grad.Span;
                for (int i = 0; i < g.Length; i++) g[i] *= _relu ? (z[i] > 0 ? 1f : 0f) : 1f - a[i] * a[i];
                if (_norms[l] is { } norm) grad = norm.Backward(grad);
            }
            grad = AffineBackward(_layerInputs[l], grad, l, needInputGradient: l > 0 || _inputNorm is not null);
        }
        if (_inputNorm is not null) _inputNorm.Backward(grad);
        optimizer.Step();
        return cost;
    }

    /// <summary>z = h·W + b, W [in, out] (the seed's tf.matmul(inputs, Weights) + biases).</summary>
    private Tensor Affine(Tensor h, int layer, ref Tensor? output)
    {
        var w = _weights[layer].Value;
        int n = h.Dim(0), inputs = w.Dim(0), outputs = w.Dim(1);
        var z = Tensor.Ensure(ref output, n, outputs);
        var bias = _biases[layer].Value.Span;
        var zs = z.Span;
        for (int i = 0; i < n; i++) bias.CopyTo(zs.Slice(i * outputs, outputs));
        Gemm.Sgemm(false, false, n, outputs, inputs, 1f, h.Span, inputs, w.Span, outputs, 1f, zs, outputs);
        return z;
    }

    /// <summary>dW = hᵀ·dz, db = Σ_rows dz, and (when asked) dh = dz·Wᵀ.</summary>
    private Tensor AffineBackward(Tensor h, Tensor dz, int layer, bool needInputGradient)
    {
        var w = _weights[layer];
        int n = h.Dim(0), inputs = w.Value.Dim(0), outputs = w.Value.Dim(1);
        Gemm.Sgemm(true, false, inputs, outputs, n, 1f, h.Span, inputs, dz.Span, outputs, 1f, w.Grad.Span, outputs);
        var db = _biases[layer].Grad.Span;
        var g = dz.Span;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < outputs; j++) db[j] += g[i * outputs + j];
        if (!needInputGradient) return dz;
        var dh = Tensor.Ensure(ref _inputGradients[layer], n, inputs);
        Gemm.Sgemm(false, true, n, inputs, outputs, 1f, dz.Span, outputs, w.Value.Span, outputs, 0f, dh.Span, inputs);
        return dh;
    }
}

using System.Numerics.Tensors;
using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Fully connected layer (PyTorch <c>torch.nn.Linear</c>): y = x·Wᵀ + b for input [*, in] and output [*, out],
/// with weight W [out, in] and bias b [out].
/// </summary>
/// <remarks>
/// <para>Initialisation as PyTorch's <c>Linear.reset_parameters</c>: kaiming_uniform with a = √5, which is
/// U(−1/√in, 1/√in), for the weight, then the bias from the same bound.</para>
/// <para>Backward (y = x·Wᵀ + b, with every leading dimension of x flattened into N rows):
/// dW += dyᵀ·x, db += Σ_rows dy, dx = dy·W. The parameter gradients are skipped for parameters whose
/// <see cref="Parameter.RequiresGrad"/> is false, and dx when <see cref="Module.NeedsInputGradient"/> is false
/// (the first layer of a network: ~16% of an MLP's FLOPs); <see cref="Backward"/> then returns an empty
/// tensor of shape [0]. The products run through <see cref="Gemv.Sgemv(int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, float, Span{float})"/> for a forward pass of one row and otherwise <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>;
/// output and input gradient are kept and reused, so a steady-state step allocates nothing.</para>
/// </remarks>
public sealed class Dense : Module
{
    private static readonly Tensor s_noGradient = new(0);

    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _gradInput;

    /// <param name="inFeatures">Size of each input row (the last dimension of the input).</param>
    /// <param name="outFeatures">Size of each output row.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="rng">Generator for the initial values; <see cref="RandomState.Global"/> when null.</param>
    public Dense(int inFeatures, int outFeatures, bool bias = true, Rng? rng = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Bias = bias;
        rng ??= RandomState.Global;
        float bound = 1f / MathF.Sqrt(inFeatures);
        WeightParameter = new Parameter(Uniform(rng, bound, outFeatures, inFeatures));
        if (bias) BiasParameter = new Parameter(Uniform(rng, bound, outFeatures));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>Whether the layer has a bias (the <c>bias</c> constructor argument).</summary>
    public bool Bias { get; }

    /// <summary>The weight W, [out, in] (state key <c>weight</c>).</summary>
    public Parameter WeightParameter { get; }

    /// <summary>The bias b, [out] (state key <c>bias</c>); null without bias.</summary>
    public Parameter? BiasParameter { get; }

    /// <summary>Prepared copies of the weight, set only on the private snapshot of an <see cref="Inference.InferenceModel"/>
    /// (whose weights never change afterwards); null otherwise.</summary>
    internal DenseInferenceWeights? InferenceWeights { get; set; }

    public override Tensor Forward(Tensor x) => Forward(x, GemmActivation.None);

    /// <summary>
    /// y = act(x·Wᵀ + b): <see cref="Sequential"/> passes <see cref="GemmActivation.Relu"/> when a <see cref="ReLU"/>
    /// follows, so the product's stores apply the bias and the ReLU (one pass over y instead of three). The result is
    /// bit for bit that of <see cref="Forward(Tensor)"/> followed by the ReLU layer.
    /// </summary>
    internal Tensor Forward(Tensor x, GemmActivation activation)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckInput(x.Shape);
        int rows = x.Size / InFeatures;
        Span<int> shape = stackalloc int[x.Rank];
        x.Shape.CopyTo(shape);
        shape[^1] = OutFeatures;
        var y = Tensor.Ensure(ref _output, shape);
        var ys = y.Span;
        ReadOnlySpan<float> bias = BiasParameter is null ? default : BiasParameter.Value.Span;

        var prepared = InferenceWeights;
        if (rows == 1)
        {
            // One row (a single example, as in serving): y = W·x as a GEMV, which reads W once instead of packing it
            // into GEMM panels for a 12-row tile with one useful row (Gemv's remarks: ~6× faster at 784 → 500).
            bias.CopyTo(ys);
            float beta = bias.IsEmpty ? 0f : 1f;
            if (prepared is not null) prepared.MultiplyVector(x.Span, beta, ys);
            else Gemv.Sgemv(OutFeatures, InFeatures, WeightParameter.Value.Span, InFeatures, x.Span, beta, ys);
            if (activation == GemmActivation.Relu) Activations.Relu(ys, ys);
        }
        else if (prepared is not null)
        {
            Gemm.Sgemm(false, rows, OutFeatures, InFeatures, 1f, x.Span, InFeatures, prepared.PackedWeight, 0f, ys, OutFeatures, bias, activation);
        }
        else
        {
            // The bias and the activation ride in the GEMM's epilogue (the same bits as a bias fill and a β = 1 product).
            Gemm.Sgemm(false, true, rows, OutFeatures, InFeatures, 1f, x.Span, InFeatures,
                WeightParameter.Value.Span, InFeatures, 0f, ys, OutFeatures, bias, activation);
        }
        _input = x;
        return y;
    }

    /// <summary>Adds dW = dyᵀ·x and db = Σ_rows dy into the parameter gradients and returns dx = dy·W, or an
    /// empty tensor of shape [0] when <see cref="Module.NeedsInputGradient"/> is false.</summary>
    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (_input is null || _output is null)
            throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(_output.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {_output.ShapeString()}",
                nameof(gradOutput));
        int rows = _input.Size / InFeatures;
        var dy = gradOutput.Span;

        if (WeightParameter.RequiresGrad)
            Gemm.Sgemm(true, false, OutFeatures, InFeatures, rows, 1f, dy, OutFeatures,
                _input.Span, InFeatures, 1f, WeightParameter.Grad.Span, InFeatures);

        if (BiasParameter is { RequiresGrad: true })
        {
            // Column sums of dy, row by row in order (deterministic), each row one vectorised add.
            var db = BiasParameter.Grad.Span;
            for (int i = 0; i < rows; i++) TensorPrimitives.Add(db, dy.Slice(i * OutFeatures, OutFeatures), db);
        }

        if (!NeedsInputGradient) return s_noGradient;
        var dx = Tensor.Ensure(ref _gradInput, _input.Shape);
        Gemm.Sgemm(false, false, rows, InFeatures, OutFeatures, 1f, dy, OutFeatures,
            WeightParameter.Value.Span, InFeatures, 0f, dx.Span, InFeatures);
        return dx;
    }

    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        CheckInput(inputShape);
        var shape = (int[])inputShape.Clone();
        shape[^1] = OutFeatures;
        return shape;
    }

    protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters()
    {
        yield return ("weight", WeightParameter);
        if (BiasParameter is not null) yield return ("bias", BiasParameter);
    }

    public override string Describe() => $"Dense({InFeatures} → {OutFeatures}{(Bias ? "" : ", no bias")})";

    private void CheckInput(int[] shape)
    {
        if (shape.Length == 0 || shape[^1] != InFeatures)
            throw new ArgumentException(
                $"{Describe()} expects input [*, {InFeatures}], got [{string.Join(", ", shape)}]", "x");
    }

    private static Tensor Uniform(Rng rng, float bound, params ReadOnlySpan<int> shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextUniform(-bound, bound);
        return t;
    }
}

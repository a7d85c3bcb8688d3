using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// 2-d convolution over [N, C_in, H, W] input with a square kernel, stride and zero padding (PyTorch
/// <c>torch.nn.Conv2d</c>, dilation 1, groups 1): y[n,o,i,j] = b[o] + Σ_c Σ_u Σ_v W[o,c,u,v]·x[n,c,i·s+u−p,j·s+v−p].
/// </summary>
/// <remarks>
/// Weight [C_out, C_in, k, k] and bias [C_out] are initialised as PyTorch does (<c>reset_parameters</c>:
/// kaiming_uniform with a = √5, which is U(±1/√fan_in) with fan_in = C_in·k·k, then the bias from the same
/// bound). The work is done by <see cref="Conv2dKernel"/>; the layer keeps its output, input gradient and
/// kernel workspace between calls, so a steady-state step allocates nothing.
/// </remarks>
public sealed class Conv2d : Module
{
    private static readonly Tensor s_noGradient = new(0);

    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _gradInput;
    private float[] _workspace = [];
    private Conv2dGeometry _geometry;

    /// <param name="inChannels">C_in, channels of the input.</param>
    /// <param name="outChannels">C_out, channels (filters) of the output.</param>
    /// <param name="kernelSize">k, side of the square kernel.</param>
    /// <param name="stride">Step between neighbouring windows.</param>
    /// <param name="padding">Zeros added on every side of the input.</param>
    /// <param name="bias">Whether to learn an additive per-channel bias.</param>
    /// <param name="rng">Generator for the initial values; <see cref="RandomState.Global"/> when null.</param>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = true, Rng? rng = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Bias = bias;
        rng ??= RandomState.Global;
        float bound = 1f / MathF.Sqrt(inChannels * kernelSize * kernelSize);
        WeightParameter = new Parameter(Uniform(rng, bound, outChannels, inChannels, kernelSize, kernelSize));
        if (bias) BiasParameter = new Parameter(Uniform(rng, bound, outChannels));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }

    /// <summary>Whether the layer has a bias (the <c>bias</c> constructor argument).</summary>
    public bool Bias { get; }

    /// <summary>The filters, [C_out, C_in, k, k] (state key <c>weight</c>).</summary>
    public Parameter WeightParameter { get; }

    /// <summary>The per-channel bias, [C_out] (state key <c>bias</c>); null without bias.</summary>
    public Parameter? BiasParameter { get; }

    public override Tensor Forward(Tensor x)
    {
        _geometry = GeometryFor(x.Shape);
        var y = Tensor.Ensure(ref _output, _geometry.Batch, OutChannels, _geometry.OutHeight, _geometry.OutWidth);
        int needed = Conv2dKernel.WorkspaceSize(_geometry);
        if (_workspace.Length < needed) _workspace = GC.AllocateUninitializedArray<float>(needed, pinned: true);
        Conv2dKernel.Forward(_geometry, x.Span, WeightParameter.Value.Span,
            BiasParameter is null ? default : BiasParameter.Value.Span, y.Span, _workspace);
        _input = x;
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        if (_input is null || _output is null)
            throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(_output.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {_output.ShapeString()}",
                nameof(gradOutput));
        int needed = Conv2dKernel.WorkspaceSize(_geometry);
        if (_workspace.Length < needed) _workspace = GC.AllocateUninitializedArray<float>(needed, pinned: true);

        bool biasGrad = BiasParameter is { RequiresGrad: true };
        if (WeightParameter.RequiresGrad)
            Conv2dKernel.BackwardWeights(_geometry, _input.Span, gradOutput.Span, WeightParameter.Grad.Span,
                biasGrad ? BiasParameter!.Grad.Span : default, _workspace);
        else if (biasGrad)
            Conv2dKernel.BackwardBias(_geometry, gradOutput.Span, BiasParameter!.Grad.Span);

        if (!NeedsInputGradient) return s_noGradient;
        var dx = Tensor.Ensure(ref _gradInput, _input.Shape);
        Conv2dKernel.BackwardData(_geometry, gradOutput.Span, WeightParameter.Value.Span, dx.Span, _workspace);
        return dx;
    }

    public override int[] OutputShape(int[] inputShape)
    {
        var g = GeometryFor(inputShape);
        return [g.Batch, OutChannels, g.OutHeight, g.OutWidth];
    }

    protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters()
    {
        yield return ("weight", WeightParameter);
        if (BiasParameter is not null) yield return ("bias", BiasParameter);
    }

    public override string Describe() =>
        $"Conv2d({InChannels} → {OutChannels}, k={KernelSize}, s={Stride}, p={Padding}{(Bias ? "" : ", no bias")})";

    private Conv2dGeometry GeometryFor(int[] shape)
    {
        if (shape.Length != 4 || shape[1] != InChannels)
            throw new ArgumentException(
                $"{Describe()} expects input [N, {InChannels}, H, W], got [{string.Join(", ", shape)}]", "x");
        if (shape[0] < 1 || shape[2] + 2 * Padding < KernelSize || shape[3] + 2 * Padding < KernelSize)
            throw new ArgumentException(
                $"{Describe()}: input [{string.Join(", ", shape)}] is empty or smaller than the kernel " +
                $"(needs H + 2·{Padding} ≥ {KernelSize} and W + 2·{Padding} ≥ {KernelSize})", "x");
        return new Conv2dGeometry(shape[0], InChannels, shape[2], shape[3], OutChannels, KernelSize, Stride, Padding);
    }

    private static Tensor Uniform(Rng rng, float bound, params ReadOnlySpan<int> shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextUniform(-bound, bound);
        return t;
    }
}

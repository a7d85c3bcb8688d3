using System.Globalization;
using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// PReLU(x) = x for x &gt; 0, α·x otherwise, with a learned slope α (He et al. 2015; PyTorch
/// <c>nn.PReLU(num_parameters=1, init=0.25)</c>): one slope shared by every element, or one per channel
/// (dimension 1 of the input, as PyTorch: [N, C], [N, C, L], [N, C, H, W]).
/// </summary>
/// <remarks>
/// <para>State key <c>weight</c>, shape [num_parameters], as PyTorch. Backward:
/// dx = dy for x &gt; 0, α·dy otherwise; dα[c] += Σ over channel c of x·dy where x ≤ 0 (PyTorch's
/// <c>prelu_backward</c>). Work done by <see cref="PReluKernel"/>.</para>
/// <para>Keras' <c>PReLU</c> differs: α starts at 0 and is per element unless <c>shared_axes</c> is given.
/// No weight decay exemption is made here (PyTorch's docs advise none for α; pass α to a separate
/// optimizer group to follow that advice).</para>
/// </remarks>
public sealed class PReLU : ActivationModule
{
    private int _outer, _inner;

    /// <param name="numParameters">Number of slopes: 1 (shared) or the number of input channels.</param>
    /// <param name="init">Initial value of every slope (PyTorch 0.25).</param>
    public PReLU(int numParameters = 1, float init = 0.25f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numParameters, 1);
        if (!float.IsFinite(init)) throw new ArgumentOutOfRangeException(nameof(init), init, "must be finite");
        NumParameters = numParameters;
        Init = init;
        WeightParameter = new Parameter(Tensor.Full(init, numParameters));
    }

    public int NumParameters { get; }

    /// <summary>The initial slope (the constructor argument; the current slopes are in <see cref="WeightParameter"/>).</summary>
    public float Init { get; }

    /// <summary>The slopes α, [num_parameters] (state key <c>weight</c>).</summary>
    public Parameter WeightParameter { get; }

    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        Layout(inputShape);
        return (int[])inputShape.Clone();
    }

    protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters()
    {
        yield return ("weight", WeightParameter);
    }

    protected override void Prepare(Tensor x) => (_outer, _inner) = Layout(x.Shape);

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
        PReluKernel.Forward(x, WeightParameter.Value.Span, _outer, _inner, y);

    protected override void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        PReluKernel.Backward(x, dy, WeightParameter.Value.Span, _outer, _inner, dx, default);

    protected override void AccumulateParameterGradients(Tensor input, Tensor gradOutput)
    {
        if (WeightParameter.RequiresGrad)
            PReluKernel.Backward(input.Span, gradOutput.Span, WeightParameter.Value.Span, _outer, _inner, default, WeightParameter.Grad.Span);
    }

    public override string Describe() =>
        NumParameters == 1 ? "PReLU()" : $"PReLU({NumParameters.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>[outer, channels, inner] of an input shape; per-channel slopes need dimension 1 = num_parameters.</summary>
    private (int Outer, int Inner) Layout(int[] shape)
    {
        int size = 1;
        foreach (int d in shape) size *= d;
        if (NumParameters == 1) return (size, 1);
        if (shape.Length < 2 || shape[1] != NumParameters)
            throw new ArgumentException(
                $"{Describe()} expects input [N, {NumParameters}, …] (one slope per channel, dimension 1), got [{string.Join(", ", shape)}]", "x");
        int inner = 1;
        for (int i = 2; i < shape.Length; i++) inner *= shape[i];
        return (shape[0], inner);
    }
}

using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Base of the element-wise activations: output shape = input shape, no parameters. Forward keeps its
/// input and output (the backward kernels read one or the other); output and input gradient are reused
/// across calls, so a steady-state step allocates nothing.
/// </summary>
public abstract class ActivationModule : Module
{
    private static readonly Tensor s_noGradient = new(0);
    private Tensor? _output, _gradInput, _fusedOutput;

    /// <summary>The input of the last <see cref="Forward"/>.</summary>
    protected Tensor? Input { get; private set; }

    /// <summary>The output of the last <see cref="Forward"/> (or of the producer that computed it fused).</summary>
    protected Tensor? Output => _fusedOutput ?? _output;

    /// <summary>
    /// Records <paramref name="output"/>, computed by the layer before this one with this activation fused into its
    /// stores, as this layer's input and output, so <see cref="Backward"/> runs as after <see cref="Forward"/>. Only for
    /// activations whose derivative reads the output alone (ReLU: f′ = [y &gt; 0]), as the input is not kept.
    /// </summary>
    private protected Tensor AdoptFusedOutput(Tensor output)
    {
        _fusedOutput = output;
        Input = output;
        return output;
    }

    /// <summary>The form in which a preceding BatchNorm can apply this activation itself (<see cref="Sequential"/>'s
    /// BN → activation fusion), or <see cref="FusedActivation.None"/>: only activations whose derivative reads the output alone.</summary>
    internal virtual FusedActivation FusedForm => FusedActivation.None;

    /// <summary>Takes <paramref name="output"/> = f(z), computed by the preceding layer with this activation fused in
    /// (<see cref="Sequential"/>'s Dense → ReLU and BN → activation fusions), as this layer's result.</summary>
    internal Tensor AdoptFused(Tensor output) => FusedForm != FusedActivation.None
        ? AdoptFusedOutput(output)
        : throw new InvalidOperationException($"{Describe()}: its backward needs its input, so it cannot be fused into the layer before");

    public sealed override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Prepare(x);
        var y = Tensor.Ensure(ref _output, x.Shape);
        Apply(x.Span, y.Span);
        Input = x;
        _fusedOutput = null;
        return y;
    }

    public sealed override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var output = Output;
        if (Input is null || output is null) throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(output.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {output.ShapeString()}", nameof(gradOutput));
        AccumulateParameterGradients(Input, gradOutput);
        if (!NeedsInputGradient) return s_noGradient;
        var dx = Tensor.Ensure(ref _gradInput, output.Shape);
        InputGradient(Input.Span, output.Span, gradOutput.Span, dx.Span);
        return dx;
    }

    /// <summary>The output of the last <see cref="Forward"/>, for a following layer that runs this activation's backward
    /// fused into its own (<see cref="AvgPool2d"/>): only activations with a <see cref="FusedForm"/> (no parameters,
    /// derivative from the output alone), only after a forward whose output has <paramref name="shape"/>.</summary>
    internal Tensor OutputForFusedBackward(int[] shape)
    {
        if (FusedForm == FusedActivation.None)
            throw new InvalidOperationException($"{Describe()}: its backward needs its input, so it cannot be fused into the layer after");
        var output = Output ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!output.HasShape(shape))
            throw new ArgumentException($"{Describe()}: output {output.ShapeString()} is not the next layer's input [{string.Join(", ", shape)}]");
        return output;
    }

    public override int[] OutputShape(int[] inputShape) => (int[])inputShape.Clone();

    /// <summary>Called by <see cref="Forward"/> before <see cref="Apply"/>: checks the input's shape and
    /// prepares what depends on it (PReLU's channel layout, RReLU's slope buffer).</summary>
    protected virtual void Prepare(Tensor x) { }

    /// <summary>y = f(x), element-wise.</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx = f′ · dy, from whichever of x and y the derivative needs.</summary>
    protected abstract void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>For activations with learned parameters (PReLU): adds their gradients.</summary>
    protected virtual void AccumulateParameterGradients(Tensor input, Tensor gradOutput) { }
}

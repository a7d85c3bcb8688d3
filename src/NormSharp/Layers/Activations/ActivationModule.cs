namespace NormSharp.Layers;

/// <summary>
/// Base of the element-wise activations: output shape = input shape, no parameters. Forward keeps its
/// input and output (the backward kernels read one or the other); output and input gradient are reused
/// across calls, so a steady-state step allocates nothing.
/// </summary>
public abstract class ActivationModule : Module
{
    private static readonly Tensor s_noGradient = new(0);
    private Tensor? _output, _gradInput;

    /// <summary>The input of the last <see cref="Forward"/>.</summary>
    protected Tensor? Input { get; private set; }

    /// <summary>The output of the last <see cref="Forward"/>.</summary>
    protected Tensor? Output => _output;

    public sealed override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor.Ensure(ref _output, x.Shape);
        Apply(x.Span, y.Span);
        Input = x;
        return y;
    }

    public sealed override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (Input is null || _output is null) throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(_output.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {_output.ShapeString()}", nameof(gradOutput));
        AccumulateParameterGradients(Input, gradOutput);
        if (!NeedsInputGradient) return s_noGradient;
        var dx = Tensor.Ensure(ref _gradInput, _output.Shape);
        InputGradient(Input.Span, _output.Span, gradOutput.Span, dx.Span);
        return dx;
    }

    public override int[] OutputShape(int[] inputShape) => (int[])inputShape.Clone();

    /// <summary>y = f(x), element-wise.</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx = f′ · dy, from whichever of x and y the derivative needs.</summary>
    protected abstract void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>For activations with learned parameters (PReLU): adds their gradients.</summary>
    protected virtual void AccumulateParameterGradients(Tensor input, Tensor gradOutput) { }
}

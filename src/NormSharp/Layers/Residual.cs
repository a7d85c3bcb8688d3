using System.Numerics.Tensors;

namespace NormSharp.Layers;

/// <summary>
/// A residual connection (He et al. 2016, "Deep Residual Learning", eq. 1–2): y = body(x) + shortcut(x),
/// the shortcut being the identity or a given module (a 1×1 Conv2d + BN when the shape changes, the
/// paper's projection shortcut). Put the block's final activation after it in a <see cref="Sequential"/>.
/// </summary>
/// <remarks>
/// <para>State-dict keys are those of a PyTorch module holding <c>self.body</c> and, when given,
/// <c>self.shortcut</c> (e.g. <c>body.0.weight</c>, <c>shortcut.1.running_mean</c>) and whose
/// <c>forward</c> returns <c>self.body(x) + self.shortcut(x)</c>. torchvision's <c>BasicBlock</c> names
/// its pieces differently (<c>conv1</c>, <c>bn1</c>, …, <c>downsample</c>); map keys when moving its weights.</para>
/// <para>Backward: dx = body′ᵀ·dy + shortcut′ᵀ·dy (dy itself for the identity), each branch adding its own
/// parameter gradients. Output and input gradient are reused across calls.</para>
/// </remarks>
public sealed class Residual : Module
{
    private static readonly Tensor s_noGradient = new(0);
    private Tensor? _output, _gradInput;

    /// <param name="body">The residual branch F.</param>
    /// <param name="shortcut">The shortcut branch; the identity when null.</param>
    public Residual(Module body, Module? shortcut = null)
    {
        Body = body ?? throw new ArgumentNullException(nameof(body));
        Shortcut = shortcut;
    }

    /// <summary>The residual branch (state-dict prefix <c>body.</c>).</summary>
    public Module Body { get; }

    /// <summary>The shortcut branch (state-dict prefix <c>shortcut.</c>); null for the identity.</summary>
    public Module? Shortcut { get; }

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var fx = Body.Forward(x);
        var sx = Shortcut is null ? x : Shortcut.Forward(x);
        if (!fx.HasShape(sx.Shape))
            throw new ArgumentException(
                $"{Describe()}: body output {fx.ShapeString()} and shortcut output {sx.ShapeString()} differ; " +
                "give a shortcut module that maps the input to the body's output shape", nameof(x));
        var y = Tensor.Ensure(ref _output, fx.Shape);
        TensorPrimitives.Add(fx.Span, sx.Span, y.Span);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (_output is null) throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(_output.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {_output.ShapeString()}", nameof(gradOutput));
        Body.NeedsInputGradient = NeedsInputGradient;
        if (Shortcut is not null) Shortcut.NeedsInputGradient = NeedsInputGradient;
        var bodyGrad = Body.Backward(gradOutput);
        var shortcutGrad = Shortcut is null ? gradOutput : Shortcut.Backward(gradOutput);
        if (!NeedsInputGradient) return s_noGradient;
        var dx = Tensor.Ensure(ref _gradInput, bodyGrad.Shape);
        TensorPrimitives.Add(bodyGrad.Span, shortcutGrad.Span, dx.Span);
        return dx;
    }

    public override int[] OutputShape(int[] inputShape)
    {
        var body = Body.OutputShape(inputShape);
        var shortcut = Shortcut is null ? inputShape : Shortcut.OutputShape(inputShape);
        if (!body.AsSpan().SequenceEqual(shortcut))
            throw new ArgumentException(
                $"{Describe()}: body output [{string.Join(", ", body)}] and shortcut output [{string.Join(", ", shortcut)}] differ", nameof(inputShape));
        return body;
    }

    public override IEnumerable<(string Name, Module Module)> Children()
    {
        yield return ("body", Body);
        if (Shortcut is not null) yield return ("shortcut", Shortcut);
    }

    public override string Describe() => Shortcut is null ? "Residual(identity shortcut)" : "Residual(projection shortcut)";
}

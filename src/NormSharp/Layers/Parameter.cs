namespace NormSharp.Layers;

/// <summary>
/// A trainable tensor and its gradient. Optimizers see parameters only; running statistics and other
/// buffers live apart (burn's Param vs RunningState), so no optimizer can ever update them.
/// </summary>
public sealed class Parameter
{
    public Parameter(Tensor value, bool requiresGrad = true)
    {
        Value = value ?? throw new ArgumentNullException(nameof(value));
        Grad = new Tensor(value.Shape);
        RequiresGrad = requiresGrad;
    }

    /// <summary>The current value (updated in place by optimizers).</summary>
    public Tensor Value { get; }

    /// <summary>The accumulated gradient, same shape as <see cref="Value"/>; backward passes add into it.</summary>
    public Tensor Grad { get; }

    /// <summary>False for frozen parameters: optimizers skip them and layers may skip their gradients.</summary>
    public bool RequiresGrad { get; set; }

    public override string ToString() => $"Parameter{Value.ShapeString()}{(RequiresGrad ? "" : " (frozen)")}";
}

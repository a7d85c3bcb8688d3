using System.Numerics.Tensors;

namespace NormSharp.Losses;

/// <summary>
/// Mean squared error, L = (1/n) Σ (p − t)² over all n elements (PyTorch <c>nn.MSELoss()</c> with mean
/// reduction; Keras <c>MeanSquaredError</c>); dL/dp = 2(p − t)/n. The seed-003 toy regression's cost.
/// </summary>
public sealed class MseLoss : Loss
{
    private Tensor? _gradient;

    /// <param name="prediction">Any shape.</param>
    /// <param name="target">The same number of elements (e.g. [N, 1] against [N] is accepted).</param>
    public override float Forward(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (prediction.Size != target.Size || prediction.Size == 0)
            throw new ArgumentException(
                $"MSE needs a non-empty prediction and a target of the same size, got {prediction.ShapeString()} and {target.ShapeString()}",
                nameof(target));
        var gradient = Tensor.Ensure(ref _gradient, prediction.Shape);
        var g = gradient.Span;
        TensorPrimitives.Subtract(prediction.Span, target.Span, g);
        // Σ (p − t)² in double so a large batch keeps its precision.
        double sum = 0;
        foreach (float d in g) sum += (double)d * d;
        TensorPrimitives.Multiply(g, 2f / g.Length, g);
        return (float)(sum / g.Length);
    }

    /// <summary>dL/dp of the last <see cref="Forward"/>: 2(p − t)/n.</summary>
    public override Tensor Backward() =>
        _gradient ?? throw new InvalidOperationException("MseLoss: Backward called before Forward");
}

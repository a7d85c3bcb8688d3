using System.Numerics.Tensors;
using NormSharp.Layers;

namespace NormSharp.Optimizers;

/// <summary>Gradient clipping, as <c>torch.nn.utils.clip_grad_value_</c> and <c>clip_grad_norm_</c>.</summary>
/// <remarks>Both take the parameter list as a span or array so a training step can call them without
/// allocating; parameters with <see cref="Parameter.RequiresGrad"/> false are left alone.</remarks>
public static class GradientClipping
{
    /// <summary>Clamps every gradient element into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative or NaN.</exception>
    public static void ClipByValue(ReadOnlySpan<Parameter> parameters, float clipValue)
    {
        if (!(clipValue >= 0))
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "the clip value must be ≥ 0");
        foreach (var p in parameters)
        {
            if (!p.RequiresGrad) continue;
            var g = p.Grad.Span;
            TensorPrimitives.Min(g, clipValue, g);
            TensorPrimitives.Max(g, -clipValue, g);
        }
    }

    /// <summary>
    /// Scales all gradients together so that their global L2 norm is at most <paramref name="maxNorm"/>:
    /// <c>total = ‖(‖g₁‖, …, ‖gₖ‖)‖₂</c>, and when <c>c = maxNorm / (total + 1e-6)</c> is below 1 every
    /// gradient is multiplied by <c>c</c> (PyTorch's formula, 1e-6 included).
    /// </summary>
    /// <returns>The total norm before clipping (infinite or NaN gradients give an infinite/NaN norm).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or NaN.</exception>
    public static float ClipByGlobalNorm(ReadOnlySpan<Parameter> parameters, float maxNorm)
    {
        if (!(maxNorm >= 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the maximum norm must be ≥ 0");
        double sumOfSquares = 0;
        foreach (var p in parameters)
        {
            if (!p.RequiresGrad) continue;
            double norm = TensorPrimitives.Norm<float>(p.Grad.Span);
            sumOfSquares += norm * norm;
        }
        float total = (float)Math.Sqrt(sumOfSquares);
        float coefficient = (float)(maxNorm / (total + 1e-6));
        if (coefficient < 1)
        {
            foreach (var p in parameters)
                if (p.RequiresGrad) TensorPrimitives.Multiply(p.Grad.Span, coefficient, p.Grad.Span);
        }
        return total;
    }
}

using NormSharp.Layers;

namespace NormSharp.Tests.Layers;

/// <summary>Holds a <see cref="Sequential"/> whose pairs of layers run fused to the same model run layer by layer.</summary>
internal static class FusionAssert
{
    /// <summary>One step on both models (equal weights): the forward outputs, the input gradients and every parameter
    /// gradient must be the same bits.</summary>
    public static void SameStep(Sequential fused, Sequential plain, Tensor x, Tensor dy)
    {
        var yFused = fused.Forward(x).ToArray();
        var h = x;
        foreach (var layer in plain.Layers) h = layer.Forward(h);
        Assert.Equal(h.ToArray(), yFused);

        fused.ZeroGrad();
        plain.ZeroGrad();
        var dxFused = fused.Backward(dy).ToArray();
        var dx = dy;
        for (int i = plain.Count - 1; i >= 0; i--) dx = plain[i].Backward(dx);
        Assert.Equal(dx.ToArray(), dxFused);
        var gradsFused = fused.NamedParameters().Select(p => p.Parameter.Grad.ToArray()).ToList();
        var grads = plain.NamedParameters().Select(p => p.Parameter.Grad.ToArray()).ToList();
        Assert.Equal(grads.Count, gradsFused.Count);
        for (int i = 0; i < grads.Count; i++) Assert.Equal(grads[i], gradsFused[i]);
    }
}

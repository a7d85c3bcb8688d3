namespace NormSharp.Kernels;

/// <summary>
/// Plain scalar activation functions and their derivatives, one loop each: the definitions the fast
/// <see cref="Activations"/> kernels are tested against. Formulas as PyTorch's <c>torch.nn</c> documents them.
/// </summary>
/// <remarks>Backward kernels take whatever the derivative is cheapest from: ReLU, Sigmoid and Tanh the
/// output y (so the input may be overwritten), LeakyReLU, ELU and SELU the input x.</remarks>
public static class ActivationReference
{
    /// <summary>SELU's λ and α (Klambauer et al. 2017, as <c>torch.nn.SELU</c>).</summary>
    public const float SeluScale = 1.0507009873554804934193349852946f, SeluAlpha = 1.6732632423543772848170429916717f;

    /// <summary>y = max(0, x); NaN stays NaN.</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : float.IsNaN(x[i]) ? x[i] : 0f;
    }

    /// <summary>dx = dy where y &gt; 0, else 0 (PyTorch's threshold_backward: the derivative at 0 is 0).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = y[i] > 0 ? dy[i] : 0f;
    }

    /// <summary>y = x for x ≥ 0, αx otherwise.</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : alpha * x[i];
    }

    /// <summary>dx = dy for x &gt; 0, α·dy otherwise.</summary>
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float alpha, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * dy[i];
    }

    /// <summary>ELU: y = scale·x for x &gt; 0, scale·α·(eˣ − 1) otherwise (scale = 1 for ELU, λ for SELU).</summary>
    public static void Elu(ReadOnlySpan<float> x, float alpha, float scale, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? scale * x[i] : scale * alpha * (MathF.Exp(x[i]) - 1f);
    }

    /// <summary>dx = scale·dy for x &gt; 0, scale·α·eˣ·dy otherwise.</summary>
    public static void EluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float alpha, float scale, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0 ? scale * dy[i] : scale * alpha * MathF.Exp(x[i]) * dy[i];
    }

    /// <summary>y = 1 / (1 + e⁻ˣ).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = 1f / (1f + MathF.Exp(-x[i]));
    }

    /// <summary>dx = dy·y·(1 − y).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * (1f - y[i]);
    }

    /// <summary>y = tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Tanh(x[i]);
    }

    /// <summary>dx = dy·(1 − y²).</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * (1f - y[i] * y[i]);
    }
}

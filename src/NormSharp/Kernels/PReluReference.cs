namespace NormSharp.Kernels;

/// <summary>
/// Plain scalar PReLU (He et al. 2015, "Delving Deep into Rectifiers", eq. 1 and 4; PyTorch <c>nn.PReLU</c>):
/// the definitions <see cref="PReluKernel"/> is tested against. The input is viewed as
/// [outer, channels, inner] and channel c uses slope α[c] (channels = α.Length; 1 for a shared slope).
/// </summary>
public static class PReluReference
{
    /// <summary>y = x for x &gt; 0, α[c]·x otherwise.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, int outer, int inner, Span<float> y)
    {
        int channels = alpha.Length;
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++)
                {
                    int k = (o * channels + c) * inner + i;
                    y[k] = x[k] > 0 ? x[k] : alpha[c] * x[k];
                }
    }

    /// <summary>
    /// dx = dy for x &gt; 0, α[c]·dy otherwise; dα[c] += Σ_{x ≤ 0} x·dy (accumulated in double).
    /// Either output may be empty to skip it.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> alpha, int outer, int inner,
        Span<float> dx, Span<float> dAlpha)
    {
        int channels = alpha.Length;
        var sums = new double[channels];
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++)
                {
                    int k = (o * channels + c) * inner + i;
                    if (!dx.IsEmpty) dx[k] = x[k] > 0 ? dy[k] : alpha[c] * dy[k];
                    if (x[k] <= 0) sums[c] += (double)x[k] * dy[k];
                }
        if (!dAlpha.IsEmpty)
            for (int c = 0; c < channels; c++) dAlpha[c] += (float)sums[c];
    }
}

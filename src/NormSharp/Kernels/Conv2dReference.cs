namespace NormSharp.Kernels;

/// <summary>
/// Plain nested-loop convolution straight from the definition, the reference that
/// <see cref="Conv2dKernel"/> is tested against. Sums are accumulated in double.
/// </summary>
/// <remarks>
/// Definition (PyTorch <c>torch.nn.Conv2d</c>, cross-correlation, zero padding):
/// y[n,o,i,j] = b[o] + Σ_c Σ_u Σ_v w[o,c,u,v] · x[n, c, i·s + u − p, j·s + v − p], with x = 0 outside the image.
/// Its gradients: dx[n,c,h,w] = Σ over (o,i,j,u,v) with i·s+u−p = h, j·s+v−p = w of w[o,c,u,v]·dy[n,o,i,j];
/// dw[o,c,u,v] = Σ_n Σ_i Σ_j dy[n,o,i,j]·x[n,c,i·s+u−p,j·s+v−p]; db[o] = Σ_n Σ_i Σ_j dy[n,o,i,j].
/// </remarks>
public static class Conv2dReference
{
    /// <summary>y = conv(x, w) + b; <paramref name="bias"/> may be empty (no bias).</summary>
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        Conv2dKernel.CheckSizes(g, input.Length, weight.Length, bias.Length, output.Length);
        int k = g.KernelSize;
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int i = 0; i < g.OutHeight; i++)
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[o];
                        for (int c = 0; c < g.InChannels; c++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++)
                                {
                                    int h = i * g.Stride + u - g.Padding, w = j * g.Stride + v - g.Padding;
                                    if (h < 0 || h >= g.Height || w < 0 || w >= g.Width) continue;
                                    sum += (double)weight[((o * g.InChannels + c) * k + u) * k + v]
                                         * input[((n * g.InChannels + c) * g.Height + h) * g.Width + w];
                                }
                        output[((n * g.OutChannels + o) * g.OutHeight + i) * g.OutWidth + j] = (float)sum;
                    }
    }

    /// <summary>dx = ∂L/∂x from dy (overwrites <paramref name="gradInput"/>).</summary>
    public static void BackwardData(in Conv2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        Conv2dKernel.CheckSizes(g, gradInput.Length, weight.Length, 0, gradOutput.Length);
        int k = g.KernelSize;
        var sums = new double[g.InputSize];
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int i = 0; i < g.OutHeight; i++)
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        double dy = gradOutput[((n * g.OutChannels + o) * g.OutHeight + i) * g.OutWidth + j];
                        for (int c = 0; c < g.InChannels; c++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++)
                                {
                                    int h = i * g.Stride + u - g.Padding, w = j * g.Stride + v - g.Padding;
                                    if (h < 0 || h >= g.Height || w < 0 || w >= g.Width) continue;
                                    sums[((n * g.InChannels + c) * g.Height + h) * g.Width + w] +=
                                        dy * weight[((o * g.InChannels + c) * k + u) * k + v];
                                }
                    }
        for (int i = 0; i < sums.Length; i++) gradInput[i] = (float)sums[i];
    }

    /// <summary>Adds ∂L/∂w into <paramref name="gradWeight"/> and, when not empty, ∂L/∂b into <paramref name="gradBias"/>.</summary>
    public static void BackwardWeights(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        Conv2dKernel.CheckSizes(g, input.Length, gradWeight.Length, gradBias.Length, gradOutput.Length);
        int k = g.KernelSize;
        for (int o = 0; o < g.OutChannels; o++)
        {
            for (int c = 0; c < g.InChannels; c++)
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++)
                    {
                        double sum = 0;
                        for (int n = 0; n < g.Batch; n++)
                            for (int i = 0; i < g.OutHeight; i++)
                                for (int j = 0; j < g.OutWidth; j++)
                                {
                                    int h = i * g.Stride + u - g.Padding, w = j * g.Stride + v - g.Padding;
                                    if (h < 0 || h >= g.Height || w < 0 || w >= g.Width) continue;
                                    sum += (double)gradOutput[((n * g.OutChannels + o) * g.OutHeight + i) * g.OutWidth + j]
                                         * input[((n * g.InChannels + c) * g.Height + h) * g.Width + w];
                                }
                        gradWeight[((o * g.InChannels + c) * k + u) * k + v] += (float)sum;
                    }
            if (gradBias.IsEmpty) continue;
            double db = 0;
            for (int n = 0; n < g.Batch; n++)
                for (int p = 0; p < g.ColumnCols; p++)
                    db += gradOutput[(n * g.OutChannels + o) * g.ColumnCols + p];
            gradBias[o] += (float)db;
        }
    }
}

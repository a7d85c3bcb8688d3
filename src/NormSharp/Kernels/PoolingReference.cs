namespace NormSharp.Kernels;

/// <summary>
/// Plain nested-loop max and average pooling straight from PyTorch's definitions, the reference that
/// <see cref="Pooling"/> is tested against.
/// </summary>
/// <remarks>
/// Window of output (i, j): rows i·s − p … i·s − p + k − 1, columns likewise. Max pooling ignores the
/// padding (it is −∞) and takes the first maximum in row-major window order; NaN wins, as in ATen's
/// <c>(val &gt; maxval) || isnan(val)</c>. Average pooling follows <c>count_include_pad=True</c>: the sum of
/// the in-image elements divided by k·k (with <c>ceil_mode=False</c> no window reaches past the padding,
/// so ATen's <c>pool_size</c> is always k·k).
/// </remarks>
public static class PoolingReference
{
    /// <summary>Max pooling; <paramref name="argmax"/> receives, per output, the index h·W + w of the
    /// chosen element within its input plane.</summary>
    public static void MaxForward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax)
    {
        Pooling.CheckSizes(g, input.Length, output.Length, argmax.Length);
        for (int plane = 0; plane < g.Planes; plane++)
            for (int i = 0; i < g.OutHeight; i++)
                for (int j = 0; j < g.OutWidth; j++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int u = 0; u < g.KernelSize; u++)
                        for (int v = 0; v < g.KernelSize; v++)
                        {
                            int h = i * g.Stride - g.Padding + u, w = j * g.Stride - g.Padding + v;
                            if (h < 0 || h >= g.Height || w < 0 || w >= g.Width) continue;
                            float x = input[plane * g.InputPlaneSize + h * g.Width + w];
                            if (bestIndex < 0 || x > best || float.IsNaN(x))
                            {
                                best = x;
                                bestIndex = h * g.Width + w;
                                if (float.IsNaN(x)) goto done;
                            }
                        }
                    done:
                    int o = plane * g.OutputPlaneSize + i * g.OutWidth + j;
                    output[o] = best;
                    argmax[o] = bestIndex;
                }
    }

    /// <summary>dx[argmax] += dy for every output (overwrites <paramref name="gradInput"/>).</summary>
    public static void MaxBackward(in Pool2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax,
        Span<float> gradInput)
    {
        Pooling.CheckSizes(g, gradInput.Length, gradOutput.Length, argmax.Length);
        gradInput.Clear();
        for (int plane = 0; plane < g.Planes; plane++)
            for (int o = 0; o < g.OutputPlaneSize; o++)
                gradInput[plane * g.InputPlaneSize + argmax[plane * g.OutputPlaneSize + o]] +=
                    gradOutput[plane * g.OutputPlaneSize + o];
    }

    /// <summary>Average pooling with <c>count_include_pad=True</c>.</summary>
    public static void AvgForward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        Pooling.CheckSizes(g, input.Length, output.Length, g.OutputSize);
        float divisor = g.KernelSize * g.KernelSize;
        for (int plane = 0; plane < g.Planes; plane++)
            for (int i = 0; i < g.OutHeight; i++)
                for (int j = 0; j < g.OutWidth; j++)
                {
                    double sum = 0;
                    for (int u = 0; u < g.KernelSize; u++)
                        for (int v = 0; v < g.KernelSize; v++)
                        {
                            int h = i * g.Stride - g.Padding + u, w = j * g.Stride - g.Padding + v;
                            if (h < 0 || h >= g.Height || w < 0 || w >= g.Width) continue;
                            sum += input[plane * g.InputPlaneSize + h * g.Width + w];
                        }
                    output[plane * g.OutputPlaneSize + i * g.OutWidth + j] = (float)(sum / divisor);
                }
    }

    /// <summary>dx[h,w] = Σ over windows covering (h,w) of dy/(k·k) (overwrites <paramref name="gradInput"/>).</summary>
    public static void AvgBackward(in Pool2dGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        Pooling.CheckSizes(g, gradInput.Length, gradOutput.Length, g.OutputSize);
        var sums = new double[g.InputSize];
        double divisor = g.KernelSize * g.KernelSize;
        for (int plane = 0; plane < g.Planes; plane++)
            for (int i = 0; i < g.OutHeight; i++)
                for (int j = 0; j < g.OutWidth; j++)
                {
                    double share = gradOutput[plane * g.OutputPlaneSize + i * g.OutWidth + j] / divisor;
                    for (int u = 0; u < g.KernelSize; u++)
                        for (int v = 0; v < g.KernelSize; v++)
                        {
                            int h = i * g.Stride - g.Padding + u, w = j * g.Stride - g.Padding + v;
                            if (h < 0 || h >= g.Height || w < 0 || w >= g.Width) continue;
                            sums[plane * g.InputPlaneSize + h * g.Width + w] += share;
                        }
                }
        for (int i = 0; i < sums.Length; i++) gradInput[i] = (float)sums[i];
    }
}

namespace NormSharp.Kernels;

public static unsafe partial class Pooling
{
    /// <summary>Mean over each window (divisor k·k, <c>count_include_pad=True</c>) for the planes of one chunk.</summary>
    private readonly struct AvgForwardBody(Pool2dGeometry g, int chunks, float* x, float* y) : IChunkBody
    {
        public void Execute(int chunk)
        {
            int k = g.KernelSize, s = g.Stride, p = g.Padding, width = g.Width;
            float scale = 1f / (k * k);
            for (int plane = ChunkStart(chunk, chunks, g.Planes), end = ChunkStart(chunk + 1, chunks, g.Planes); plane < end; plane++)
            {
                float* src = x + (long)plane * g.InputPlaneSize;
                float* dst = y + (long)plane * g.OutputPlaneSize;
                if (IsTwoByTwo(g))
                {
                    // LeNet's AvgPool(2, 2): every window lies inside the image; same additions in the same order.
                    for (int i = 0; i < g.OutHeight; i++)
                    {
                        float* r0 = src + 2 * i * width, r1 = r0 + width, o = dst + i * g.OutWidth;
                        for (int j = 0; j < g.OutWidth; j++)
                            o[j] = (r0[2 * j] + r0[2 * j + 1] + r1[2 * j] + r1[2 * j + 1]) * scale;
                    }
                    continue;
                }
                for (int i = 0; i < g.OutHeight; i++)
                {
                    Clip(i * s - p, k, g.Height, out int h0, out int h1);
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        Clip(j * s - p, k, width, out int w0, out int w1);
                        float sum = 0;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++) sum += src[h * width + w];
                        dst[i * g.OutWidth + j] = sum * scale;
                    }
                }
            }
        }
    }

    /// <summary>Spreads each output gradient evenly (÷ k·k) over its window, for the planes of one chunk.</summary>
    private readonly struct AvgBackwardBody(Pool2dGeometry g, int chunks, float* dy, float* dx) : IChunkBody
    {
        public void Execute(int chunk)
        {
            int k = g.KernelSize, s = g.Stride, p = g.Padding, width = g.Width;
            float scale = 1f / (k * k);
            int start = ChunkStart(chunk, chunks, g.Planes), end = ChunkStart(chunk + 1, chunks, g.Planes);
            new Span<float>(dx + (long)start * g.InputPlaneSize, (end - start) * g.InputPlaneSize).Clear();
            for (int plane = start; plane < end; plane++)
            {
                float* target = dx + (long)plane * g.InputPlaneSize;
                float* grad = dy + (long)plane * g.OutputPlaneSize;
                if (IsTwoByTwo(g))
                {
                    // Windows do not overlap: each covered element receives exactly one share.
                    for (int i = 0; i < g.OutHeight; i++)
                    {
                        float* r0 = target + 2 * i * width, r1 = r0 + width, d = grad + i * g.OutWidth;
                        for (int j = 0; j < g.OutWidth; j++)
                        {
                            float share = d[j] * scale;
                            r0[2 * j] = share; r0[2 * j + 1] = share; r1[2 * j] = share; r1[2 * j + 1] = share;
                        }
                    }
                    continue;
                }
                for (int i = 0; i < g.OutHeight; i++)
                {
                    Clip(i * s - p, k, g.Height, out int h0, out int h1);
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        Clip(j * s - p, k, width, out int w0, out int w1);
                        float share = grad[i * g.OutWidth + j] * scale;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++) target[h * width + w] += share;
                    }
                }
            }
        }
    }
}

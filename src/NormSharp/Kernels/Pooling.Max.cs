namespace NormSharp.Kernels;

public static unsafe partial class Pooling
{
    /// <summary>Max over each window of the planes of one chunk, remembering where the maximum was.</summary>
    private readonly struct MaxForwardBody(Pool2dGeometry g, int chunks, float* x, float* y, int* argmax) : IChunkBody
    {
        public void Execute(int chunk)
        {
            int k = g.KernelSize, s = g.Stride, p = g.Padding, width = g.Width;
            for (int plane = ChunkStart(chunk, chunks, g.Planes), end = ChunkStart(chunk + 1, chunks, g.Planes); plane < end; plane++)
            {
                float* src = x + (long)plane * g.InputPlaneSize;
                float* dst = y + (long)plane * g.OutputPlaneSize;
                int* index = argmax + (long)plane * g.OutputPlaneSize;
                for (int i = 0; i < g.OutHeight; i++)
                {
                    Clip(i * s - p, k, g.Height, out int h0, out int h1);
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        Clip(j * s - p, k, width, out int w0, out int w1);
                        // Scalar math (ATen max_pool2d): first maximum in row-major window order; NaN wins.
                        int best = h0 * width + w0;
                        float bestValue = src[best];
                        if (float.IsNaN(bestValue)) goto found;
                        for (int h = h0; h < h1; h++)
                            for (int w = h == h0 ? w0 + 1 : w0; w < w1; w++)
                            {
                                float v = src[h * width + w];
                                if (v > bestValue) { bestValue = v; best = h * width + w; }
                                else if (float.IsNaN(v)) { bestValue = v; best = h * width + w; goto found; }
                            }
                        found:
                        dst[i * g.OutWidth + j] = bestValue;
                        index[i * g.OutWidth + j] = best;
                    }
                }
            }
        }
    }

    /// <summary>Scatters each output gradient to the element that was the maximum.</summary>
    private readonly struct MaxBackwardBody(Pool2dGeometry g, int chunks, float* dy, int* argmax, float* dx) : IChunkBody
    {
        public void Execute(int chunk)
        {
            int start = ChunkStart(chunk, chunks, g.Planes), end = ChunkStart(chunk + 1, chunks, g.Planes);
            new Span<float>(dx + (long)start * g.InputPlaneSize, (end - start) * g.InputPlaneSize).Clear();
            for (int plane = start; plane < end; plane++)
            {
                float* target = dx + (long)plane * g.InputPlaneSize;
                float* grad = dy + (long)plane * g.OutputPlaneSize;
                int* index = argmax + (long)plane * g.OutputPlaneSize;
                for (int o = 0; o < g.OutputPlaneSize; o++) target[index[o]] += grad[o];
            }
        }
    }
}

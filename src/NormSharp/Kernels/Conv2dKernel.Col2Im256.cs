using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    /// <summary><see cref="Col2ImStride1"/> on 8-lane vectors (AVX2): each 8-wide piece of an input row summed in
    /// registers over the taps that reach it, out-of-range lanes cleared with a bitwise and, stored once.</summary>
    /// <remarks>The loads reach at most k + 5 floats outside the matrix, inside the slack the 16-lane form needs.</remarks>
    private static void Col2ImStride1Narrow(in Conv2dGeometry g, float* col, float* dx, int ld)
    {
        int height = g.Height, width = g.Width, k = g.KernelSize, p = g.Padding;
        int outH = g.OutHeight, outW = g.OutWidth, blocks = (width + 7) / 8;
        // masks[b·k + v]: lanes l of block b whose output column w + p − v (w = 8b + l) is in [0, W') and w < W.
        var masks = stackalloc Vector256<float>[blocks * k];
        var lanes = Vector256<int>.Indices;
        for (int b = 0; b < blocks; b++)
            for (int v = 0; v < k; v++)
            {
                var w = lanes + Vector256.Create(8 * b);
                var column = w + Vector256.Create(p - v);
                var inRange = Vector256.GreaterThanOrEqual(column, Vector256<int>.Zero)
                    & Vector256.LessThan(column, Vector256.Create(outW)) & Vector256.LessThan(w, Vector256.Create(width));
                masks[b * k + v] = inRange.AsSingle();
            }
        nint step = ld - 1; // from tap v's row to tap v + 1's, one column to the left
        var tailMask = Vector256.LessThan(lanes + Vector256.Create(8 * (blocks - 1)), Vector256.Create(width)).AsSingle();
        for (int c = 0; c < g.InChannels; c++)
            for (int h = 0; h < height; h++)
            {
                float* target = dx + ((long)c * height + h) * width;
                for (int b = 0; b < blocks; b++)
                {
                    var sum = Vector256<float>.Zero;
                    for (int u = 0; u < k; u++)
                    {
                        int i = h + p - u;
                        if ((uint)i >= (uint)outH) continue;
                        // Scalar math: dx[c, h, 8b + l] += Σ_v col[(c, u, v), i·W' + 8b + l + p − v] over in-range lanes.
                        float* row = col + (long)(c * k + u) * k * ld + i * outW + 8 * b + p;
                        var partial = Vector256<float>.Zero; // one chain per u: the adds of different u overlap
                        Vector256<float>* mask = masks + b * k;
                        for (int v = 0; v < k; v++, row += step)
                            partial += Vector256.Load(row) & mask[v];
                        sum += partial;
                    }
                    if (8 * b + 8 <= width) sum.Store(target + 8 * b);
                    else Avx.MaskStore(target + 8 * b, tailMask, sum);
                }
            }
    }
}

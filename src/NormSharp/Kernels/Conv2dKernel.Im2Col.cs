using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    /// <summary>
    /// Unfolds one image x[C, H, W] into col[C·k·k, H'·W'] with row stride <paramref name="ld"/> ≥ H'·W':
    /// col[(c·k + u)·k + v, i·W' + j] = x[c, i·s + u − p, j·s + v − p], or 0 outside the image (Caffe's im2col);
    /// the columns H'·W' … ld − 1 of every row are zeroed (the vector lanes past the end of a row).
    /// </summary>
    /// <remarks>For each (c, u, v, i) the in-image columns j form one range [jStart, jEnd), so the padding is
    /// written as two zero runs and, at stride 1, the rest is one contiguous copy.</remarks>
    internal static void Im2Col(in Conv2dGeometry g, float* x, float* col, int ld)
    {
        int height = g.Height, width = g.Width, k = g.KernelSize, s = g.Stride, p = g.Padding;
        int outH = g.OutHeight, outW = g.OutWidth, cols = outH * outW;
        for (int c = 0; c < g.InChannels; c++)
        {
            float* plane = x + (long)c * height * width;
            for (int u = 0; u < k; u++)
                for (int v = 0; v < k; v++)
                {
                    float* row = col + (long)((c * k + u) * k + v) * ld;
                    ColumnRange(v, s, p, width, outW, out int jStart, out int jEnd);
                    for (int j = cols; j < ld; j++) row[j] = 0;
                    for (int i = 0; i < outH; i++)
                    {
                        float* dst = row + i * outW;
                        int h = i * s + u - p;
                        if ((uint)h >= (uint)height || jStart >= jEnd)
                        {
                            new Span<float>(dst, outW).Clear();
                            continue;
                        }
                        float* src = plane + h * width + v - p;
                        for (int j = 0; j < jStart; j++) dst[j] = 0;
                        if (s == 1)
                            CopyShort(src + jStart, dst + jStart, jEnd - jStart);
                        else
                            for (int j = jStart; j < jEnd; j++) dst[j] = src[j * s];
                        for (int j = jEnd; j < outW; j++) dst[j] = 0;
                    }
                }
        }
    }

    /// <summary>
    /// Folds col[C·k·k, H'·W'] (row stride <paramref name="ld"/>) back into one image, adding:
    /// dx[c, i·s + u − p, j·s + v − p] += col[(c·k + u)·k + v, i·W' + j] for in-image positions (the adjoint of
    /// <see cref="Im2Col"/>). <paramref name="dx"/> must be cleared first.
    /// </summary>
    internal static void Col2ImAdd(in Conv2dGeometry g, float* col, float* dx, int ld)
    {
        int height = g.Height, width = g.Width, k = g.KernelSize, s = g.Stride, p = g.Padding;
        int outH = g.OutHeight, outW = g.OutWidth;
        for (int c = 0; c < g.InChannels; c++)
        {
            float* plane = dx + (long)c * height * width;
            for (int u = 0; u < k; u++)
                for (int v = 0; v < k; v++)
                {
                    float* row = col + (long)((c * k + u) * k + v) * ld;
                    ColumnRange(v, s, p, width, outW, out int jStart, out int jEnd);
                    if (jStart >= jEnd) continue;
                    for (int i = 0; i < outH; i++)
                    {
                        int h = i * s + u - p;
                        if ((uint)h >= (uint)height) continue;
                        float* src = row + i * outW;
                        float* dst = plane + h * width + v - p;
                        if (s == 1)
                            AddShort(src + jStart, dst + jStart, jEnd - jStart);
                        else
                            for (int j = jStart; j < jEnd; j++) dst[j * s] += src[j];
                    }
                }
        }
    }

    /// <summary>
    /// <see cref="Col2ImAdd"/> for stride 1, overwriting <paramref name="dx"/> (no clear needed): each 16-wide
    /// piece of an input row is summed in registers over the k·k taps that reach it,
    /// dx[c, h, w] = Σ_{u,v} col[(c·k + u)·k + v, (h + p − u)·W' + (w + p − v)] over in-range positions, and
    /// stored once.
    /// </summary>
    /// <remarks>Adding each im2col row into dx in place (<see cref="Col2ImAdd"/>) stores to the same dx row
    /// k·k times through windows shifted by one float, and the reloads of those overlapping, misaligned
    /// stores cannot be forwarded: it cost as much as the matrix product before it. Here whole vectors are
    /// loaded and the out-of-range lanes cleared with a bitwise and (garbage, even NaN, becomes +0); the loads
    /// reach up to k + 13 floats outside the matrix, which the caller's workspace keeps as slack
    /// (ColumnSlack). AVX-512 masked loads would not need the slack but ran 1.4× slower on Zen 4.</remarks>
    internal static void Col2ImStride1(in Conv2dGeometry g, float* col, float* dx, int ld)
    {
        if (UseNarrowProducts)
        {
            Col2ImStride1Narrow(g, col, dx, ld);
            return;
        }
        int height = g.Height, width = g.Width, k = g.KernelSize, p = g.Padding;
        int outH = g.OutHeight, outW = g.OutWidth, blocks = (width + 15) / 16;
        // masks[b·k + v]: lanes l of block b whose output column w + p − v (w = 16b + l) is in [0, W') and w < W.
        var masks = stackalloc Vector512<float>[blocks * k];
        var lanes = Vector512<int>.Indices;
        for (int b = 0; b < blocks; b++)
            for (int v = 0; v < k; v++)
            {
                var w = lanes + Vector512.Create(16 * b);
                var column = w + Vector512.Create(p - v);
                var inRange = Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero)
                    & Vector512.LessThan(column, Vector512.Create(outW)) & Vector512.LessThan(w, Vector512.Create(width));
                masks[b * k + v] = inRange.AsSingle();
            }
        var tailMask = Vector512.LessThan(lanes + Vector512.Create(16 * (blocks - 1)), Vector512.Create(width)).AsSingle();
        for (int c = 0; c < g.InChannels; c++)
            for (int h = 0; h < height; h++)
            {
                float* target = dx + ((long)c * height + h) * width;
                for (int b = 0; b < blocks; b++)
                {
                    var sum = Vector512<float>.Zero;
                    for (int u = 0; u < k; u++)
                    {
                        int i = h + p - u;
                        if ((uint)i >= (uint)outH) continue;
                        // Element (w = 16b + l) of tap v sits at row (c, u, v), column i·W' + 16b + l + p − v.
                        float* row = col + (long)(c * k + u) * k * ld + i * outW + 16 * b + p;
                        var partial = Vector512<float>.Zero; // one chain per u: the adds of different u overlap
                        for (int v = 0; v < k; v++)
                            partial += Vector512.Load(row + (long)v * ld - v) & masks[b * k + v];
                        sum += partial;
                    }
                    if (16 * b + 16 <= width) sum.Store(target + 16 * b);
                    else Avx512F.MaskStore(target + 16 * b, tailMask, sum);
                }
            }
    }

    /// <summary>Floats of a zero-padded image copy [C, H + 2p, <paramref name="rowStride"/>] (<see cref="CopyPadded"/>).</summary>
    private static int PaddedCopySize(in Conv2dGeometry g, int rowStride) =>
        checked(g.InChannels * (g.Height + 2 * g.Padding) * rowStride);

    /// <summary>Copies image [C, H, W] into <paramref name="destination"/> as [C, H + 2p, <paramref name="rowStride"/>]
    /// (rowStride ≥ W + 2p), the image at offset (p, p) of each plane and zeros everywhere else; returns destination.
    /// The direct convolutions read their windows from it without bounds checks.</summary>
    private static float* CopyPadded(in Conv2dGeometry g, float* image, float* destination, int rowStride)
    {
        int p = g.Padding, h = g.Height, w = g.Width, hp = h + 2 * p;
        new Span<float>(destination, PaddedCopySize(g, rowStride)).Clear();
        for (int c = 0; c < g.InChannels; c++)
            for (int i = 0; i < h; i++)
                CopyShort(image + ((long)c * h + i) * w, destination + ((long)c * hp + i + p) * rowStride + p, w);
        return destination;
    }

    // Rows of LeNet's images are 8–28 floats: a library call per row costs more than the copy itself.

    /// <summary>dst[0 … n) = src[0 … n), 8 lanes at a time; the last 8 (or 4) overlap the previous ones
    /// instead of a scalar tail (a copy may overlap itself: it writes what it read). Never touches memory
    /// outside the two ranges.</summary>
    private static void CopyShort(float* src, float* dst, int n)
    {
        if (n >= 8)
        {
            int j = 0;
            for (; j + 8 < n; j += 8) Vector256.Store(Vector256.Load(src + j), dst + j);
            Vector256.Store(Vector256.Load(src + n - 8), dst + n - 8);
            return;
        }
        if (n >= 4)
        {
            Vector128.Store(Vector128.Load(src), dst);
            Vector128.Store(Vector128.Load(src + n - 4), dst + n - 4);
            return;
        }
        for (int j = 0; j < n; j++) dst[j] = src[j];
    }

    /// <summary>dst[0 … n) = src[0 … n) and dst[n … width) = 0, for <paramref name="width"/> a multiple of 8 (≥ n).</summary>
    private static void CopyShortZeroPadded(float* src, int n, float* dst, int width)
    {
        for (int j = 0; j < width; j += 8) Vector256<float>.Zero.Store(dst + j);
        CopyShort(src, dst, n);
    }

    /// <summary>dst[0 … n) += src[0 … n), 8 lanes at a time.</summary>
    private static void AddShort(float* src, float* dst, int n)
    {
        int j = 0;
        for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(dst + j) + Vector256.Load(src + j), dst + j);
        for (; j < n; j++) dst[j] += src[j];
    }

    /// <summary>Output columns j whose input column j·s + v − p lies in [0, width): the range [start, end).</summary>
    private static void ColumnRange(int v, int s, int p, int width, int outW, out int start, out int end)
    {
        // j·s ≥ p − v  ⇔  j ≥ ⌈(p − v)/s⌉;   j·s ≤ width − 1 + p − v  ⇔  j ≤ ⌊(width − 1 + p − v)/s⌋.
        start = p - v <= 0 ? 0 : (p - v + s - 1) / s;
        int last = width - 1 + p - v;
        end = last < 0 ? 0 : Math.Min(outW, last / s + 1);
        if (end < start) end = start;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
            int start = ChunkStart(chunk, chunks, g.Planes), end = ChunkStart(chunk + 1, chunks, g.Planes);
            if (IsTwoByTwo(g) && PlaneRuns && g.Height % 2 == 0)
            {
                // Planes of even height are one run of row pairs: the chunk's planes in one call.
                AverageTwoByTwoRun(x + (long)start * g.InputPlaneSize, y + (long)start * g.OutputPlaneSize, width,
                    (end - start) * g.OutHeight, g.OutWidth, scale);
                return;
            }
            for (int plane = start; plane < end; plane++)
            {
                float* src = x + (long)plane * g.InputPlaneSize;
                float* dst = y + (long)plane * g.OutputPlaneSize;
                if (IsTwoByTwo(g))
                {
                    // LeNet's AvgPool(2, 2): every window lies inside the image.
                    AverageTwoByTwo(src, dst, width, g.OutHeight, g.OutWidth);
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

    /// <summary>One plane's 2×2, stride-2 average (<paramref name="width"/> columns, 2·<paramref name="outHeight"/> rows, both
    /// even): what <see cref="AvgForward"/> computes for it plane by plane, and for a plane still in cache (BN's forward with
    /// the pooling fused in, BatchNorm.FusedPlaneParties.cs).</summary>
    internal static void AverageTwoByTwo(float* source, float* target, int width, int outHeight, int outWidth)
    {
        const float scale = 1f / 4;
        if (PlaneRuns)
        {
            AverageTwoByTwoRun(source, target, width, outHeight, outWidth, scale);
            return;
        }
        for (int i = 0; i < outHeight; i++)
            AverageTwoByTwoRow(source + 2 * i * width, source + (2 * i + 1) * width, target + i * outWidth, outWidth, scale);
    }

    /// <summary>Tests set this to run the 2×2 pooling row by row (<see cref="AverageTwoByTwoRow"/>, <see cref="SpreadTwoByTwoRow"/>)
    /// where the whole-vector runs of rows would run, to hold the two to the same bits.</summary>
    internal static bool TwoByTwoRowsOnly;

    /// <summary>Whether the 2×2 pooling runs over whole runs of rows (Pooling.TwoByTwo512.cs, Pooling.TwoByTwo256.cs).</summary>
    private static bool PlaneRuns => !TwoByTwoRowsOnly && (Avx512F.IsSupported || Avx2.IsSupported);

    /// <summary>The 2×2 average over a run of row pairs, AVX-512 or AVX2 (<see cref="PlaneRuns"/> must hold).</summary>
    private static void AverageTwoByTwoRun(float* src, float* dst, int width, int outHeight, int outWidth, float scale)
    {
        if (Avx512F.IsSupported) AverageTwoByTwoPlane512(src, dst, width, outHeight, outWidth, scale);
        else AverageTwoByTwoPlane256(src, dst, width, outHeight, outWidth, scale);
    }

    /// <summary>The 2×2 spread over a run of row pairs, AVX-512 or AVX2 (<see cref="PlaneRuns"/> must hold).</summary>
    private static void SpreadTwoByTwoRun(float* grad, float* target, int width, int outHeight, int outWidth, float scale)
    {
        if (Avx512F.IsSupported) SpreadTwoByTwoPlane512(grad, target, width, outHeight, outWidth, scale);
        else SpreadTwoByTwoPlane256(grad, target, width, outHeight, outWidth, scale);
    }

    /// <summary>Planes per block of the fused activation backward: about 16 KB of dx, still in L1 when f′ is applied.</summary>
    private static int DerivativeBlockPlanes(in Pool2dGeometry g) => Math.Max(1, 4096 / g.InputPlaneSize);

    /// <summary>Spreads each output gradient evenly (÷ k·k) over its window, for the planes of one chunk; with an
    /// activation, then dx = f′(y) ⊙ dx for each block of planes as soon as it is complete.</summary>
    private readonly struct AvgBackwardBody(Pool2dGeometry g, int chunks, float* dy, float* dx, FusedActivation activation, float* y)
        : IChunkBody
    {
        public void Execute(int chunk)
        {
            int k = g.KernelSize, s = g.Stride, p = g.Padding, width = g.Width;
            float scale = 1f / (k * k);
            int start = ChunkStart(chunk, chunks, g.Planes), end = ChunkStart(chunk + 1, chunks, g.Planes);
            // 2×2 windows tile an even-sized plane exactly and write every element below: no clearing pass.
            if (!IsTwoByTwo(g) || g.Height % 2 != 0 || width % 2 != 0)
                new Span<float>(dx + (long)start * g.InputPlaneSize, (end - start) * g.InputPlaneSize).Clear();
            if (IsTwoByTwo(g) && PlaneRuns && g.Height % 2 == 0)
            {
                int block = activation == FusedActivation.None ? end - start : DerivativeBlockPlanes(g);
                for (int first = start; first < end; first += block)
                {
                    int planes = Math.Min(block, end - first);
                    SpreadTwoByTwoRun(dy + (long)first * g.OutputPlaneSize, dx + (long)first * g.InputPlaneSize, width,
                        planes * g.OutHeight, g.OutWidth, scale);
                    ApplyDerivative(first, planes);
                }
                return;
            }
            for (int plane = start; plane < end; plane++)
            {
                SpreadPlane(plane, k, s, p, width, scale);
                ApplyDerivative(plane, 1);
            }
        }

        /// <summary>One plane's dx from its dy (its part of dx cleared before, where windows do not tile it).</summary>
        private void SpreadPlane(int plane, int k, int s, int p, int width, float scale)
        {
            float* target = dx + (long)plane * g.InputPlaneSize;
            float* grad = dy + (long)plane * g.OutputPlaneSize;
            if (IsTwoByTwo(g))
            {
                // Windows do not overlap: each covered element receives exactly one share.
                if (PlaneRuns)
                {
                    SpreadTwoByTwoRun(grad, target, width, g.OutHeight, g.OutWidth, scale);
                    return;
                }
                for (int i = 0; i < g.OutHeight; i++)
                    SpreadTwoByTwoRow(grad + i * g.OutWidth, target + 2 * i * width, target + (2 * i + 1) * width, g.OutWidth, scale);
                return;
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

        /// <summary>dx = f′(y) ⊙ dx over planes [first, first + count), when an activation is fused in.</summary>
        private void ApplyDerivative(int first, int count)
        {
            if (activation == FusedActivation.None) return;
            long offset = (long)first * g.InputPlaneSize;
            Activations.DerivativeInPlace(activation, y + offset, dx + offset, count * g.InputPlaneSize);
        }
    }

    /// <summary>o[j] = (r0[2j] + r1[2j] + r0[2j+1] + r1[2j+1])·scale, 8 outputs at a time: the two rows are added
    /// column by column, then adjacent columns pairwise (<see cref="AveragePairs"/>).</summary>
    private static void AverageTwoByTwoRow(float* r0, float* r1, float* o, int outWidth, float scale)
    {
        int j = 0;
        if (Avx2.IsSupported)
        {
            var sv = Vector256.Create(scale);
            for (; j + 8 <= outWidth; j += 8)
                AveragePairs(Vector256.Load(r0 + 2 * j) + Vector256.Load(r1 + 2 * j),
                    Vector256.Load(r0 + 2 * j + 8) + Vector256.Load(r1 + 2 * j + 8), sv).Store(o + j);
        }
        for (; j < outWidth; j++) o[j] = (r0[2 * j] + r1[2 * j] + (r0[2 * j + 1] + r1[2 * j + 1])) * scale;
    }

    /// <summary>Eight window means from the column sums of 16 input columns (AVX2): a horizontal add,
    /// [c0+c1, c2+c3, d0+d1, d2+d3 | c4+c5, c6+c7, d4+d5, d6+d7] = windows 0,1,4,5 | 2,3,6,7, whose lane order a 64-bit
    /// permute undoes, then the scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AveragePairs(Vector256<float> columns0, Vector256<float> columns1, Vector256<float> scale) =>
        Avx2.Permute4x64(Avx.HorizontalAdd(columns0, columns1).AsDouble(), 0b11_01_10_00).AsSingle() * scale;

    /// <summary>r0[2j] = r0[2j+1] = r1[2j] = r1[2j+1] = d[j]·scale, 8 windows at a time.</summary>
    private static void SpreadTwoByTwoRow(float* d, float* r0, float* r1, int outWidth, float scale)
    {
        int j = 0;
        if (Avx.IsSupported)
        {
            var sv = Vector256.Create(scale);
            for (; j + 8 <= outWidth; j += 8)
            {
                var (first, second) = Shares(Vector256.Load(d + j) * sv);
                first.Store(r0 + 2 * j); second.Store(r0 + 2 * j + 8);
                first.Store(r1 + 2 * j); second.Store(r1 + 2 * j + 8);
            }
        }
        for (; j < outWidth; j++)
        {
            float share = d[j] * scale;
            r0[2 * j] = share; r0[2 * j + 1] = share; r1[2 * j] = share; r1[2 * j + 1] = share;
        }
    }

    /// <summary>[s0 s0 s1 s1 s2 s2 s3 s3] and [s4 s4 … s7 s7] from eight shares (AVX): the unpacks give
    /// [s0 s0 s1 s1 | s4 s4 s5 s5] and [s2 s2 s3 s3 | s6 s6 s7 s7], the lane swap puts them in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> First, Vector256<float> Second) Shares(Vector256<float> share)
    {
        var low = Avx.UnpackLow(share, share);
        var high = Avx.UnpackHigh(share, share);
        return (Avx.Permute2x128(low, high, 0x20), Avx.Permute2x128(low, high, 0x31));
    }
}

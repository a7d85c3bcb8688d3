using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // The AVX2 forms of Conv2dKernel.SpatialLanes.cs. Forward: the same six packed output channels, but 16
    // output columns (two Vector256) per block: twelve accumulators, the two shifted input rows and one
    // broadcast weight fill 15 of the 16 ymm registers. Weight gradient: 2 output channels × 5 taps (ten
    // accumulators, two dy vectors, one input vector): k·k = 25 taps are five whole blocks, where blocks of
    // four leave a 1-tap block of which three quarters is wasted.

    /// <summary>Output channels × taps per call of <see cref="WeightGradientSpatialBlock256"/>.</summary>
    private const int NarrowGradChannels = 2, NarrowGradTaps = 5;

    /// <summary><see cref="ForwardSpatialLanes"/> with 6 output channels × 16 columns of one row at a time.</summary>
    private static void ForwardSpatialLanesNarrow(in Conv2dGeometry g, float* image, float* packed, float* bias, float* outImage, float* scratch)
    {
        float* xs = SpatialPaddedImage(g, image, scratch);
        float* spill = scratch + SpatialLanesScratch(g) - SpatialChannels * 32;
        int ws = SpatialRowStride(g), planeStride = (g.Height + 2 * g.Padding) * ws;
        int outH = g.OutHeight, outW = g.OutWidth, rows = g.ColumnRows, planeSize = outH * outW;
        int groups = (g.OutChannels + SpatialChannels - 1) / SpatialChannels;
        float* init = stackalloc float[SpatialChannels];
        int k = g.KernelSize;
        nint* taps = stackalloc nint[k * k];
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) taps[u * k + v] = (nint)u * ws + v;
        for (int grp = 0; grp < groups; grp++)
        {
            int o0 = grp * SpatialChannels, count = Math.Min(SpatialChannels, g.OutChannels - o0);
            for (int r = 0; r < SpatialChannels; r++) init[r] = bias == null ? 0f : bias[Math.Min(o0 + r, g.OutChannels - 1)];
            float* wGroup = packed + (long)grp * rows * SpatialChannels;
            for (int i = 0; i < outH; i++)
                for (int j0 = 0; j0 < outW; j0 += 16)
                    SpatialForwardBlock256(xs + (long)i * ws + j0, g.InChannels, k, planeStride, taps, wGroup, init,
                        outImage + (long)o0 * planeSize + (long)i * outW + j0, planeSize, count, Math.Min(16, outW - j0), spill);
        }
    }

    /// <summary>Six output channels × 16 columns: acc[r, q] = init[r] + Σ_{c,u,v} wt[(c,u,v), r] · x[c·planeStride + u·ws + v + q],
    /// stored to y[r·planeSize + q] for r &lt; <paramref name="channels"/>, q &lt; <paramref name="columns"/>.</summary>
    private static void SpatialForwardBlock256(float* x, int inChannels, int k, int planeStride, nint* taps, float* wt, float* init,
        float* y, int planeSize, int channels, int columns, float* spill)
    {
        Vector256<float> a00 = Vector256.Create(init[0]), a01 = a00, a10 = Vector256.Create(init[1]), a11 = a10;
        Vector256<float> a20 = Vector256.Create(init[2]), a21 = a20, a30 = Vector256.Create(init[3]), a31 = a30;
        Vector256<float> a40 = Vector256.Create(init[4]), a41 = a40, a50 = Vector256.Create(init[5]), a51 = a50;
        float* w = wt;
        int tapCount = k * k;
        for (int c = 0; c < inChannels; c++)
        {
            float* plane = x + (long)c * planeStride;
            for (int t = 0; t < tapCount; t++, w += SpatialChannels)
            {
                // Scalar math: a[r, q] += w[r]·p[q], r < 6, q < 16.
                float* p = plane + taps[t];
                var x0 = Vector256.Load(p);
                var x1 = Vector256.Load(p + 8);
                var b = Vector256.Create(w[0]);
                a00 = Vector256.FusedMultiplyAdd(b, x0, a00); a01 = Vector256.FusedMultiplyAdd(b, x1, a01);
                b = Vector256.Create(w[1]);
                a10 = Vector256.FusedMultiplyAdd(b, x0, a10); a11 = Vector256.FusedMultiplyAdd(b, x1, a11);
                b = Vector256.Create(w[2]);
                a20 = Vector256.FusedMultiplyAdd(b, x0, a20); a21 = Vector256.FusedMultiplyAdd(b, x1, a21);
                b = Vector256.Create(w[3]);
                a30 = Vector256.FusedMultiplyAdd(b, x0, a30); a31 = Vector256.FusedMultiplyAdd(b, x1, a31);
                b = Vector256.Create(w[4]);
                a40 = Vector256.FusedMultiplyAdd(b, x0, a40); a41 = Vector256.FusedMultiplyAdd(b, x1, a41);
                b = Vector256.Create(w[5]);
                a50 = Vector256.FusedMultiplyAdd(b, x0, a50); a51 = Vector256.FusedMultiplyAdd(b, x1, a51);
            }
        }
        // Into memory before any call (every ymm register is caller-saved), as in SpatialForwardBlock.
        float* acc = spill;
        a00.Store(acc); a01.Store(acc + 8); a10.Store(acc + 16); a11.Store(acc + 24);
        a20.Store(acc + 32); a21.Store(acc + 40); a30.Store(acc + 48); a31.Store(acc + 56);
        a40.Store(acc + 64); a41.Store(acc + 72); a50.Store(acc + 80); a51.Store(acc + 88);
        for (int r = 0; r < channels; r++)
        {
            float* row = y + (long)r * planeSize;
            // Masked stores for a short row, as StoreRow (SpatialLanes.cs) and for the same reason.
            var low = Vector256.Load(acc + 16 * r);
            if (columns >= 8)
            {
                low.Store(row);
                var high = Vector256.Load(acc + 16 * r + 8);
                if (columns == 16) high.Store(row + 8);
                else Avx.MaskStore(row + 8, FirstLanes256(columns - 8), high);
            }
            else Avx.MaskStore(row, FirstLanes256(columns), low);
        }
    }

    /// <summary>A mask of the first <paramref name="count"/> (0 … 8) float lanes.</summary>
    private static Vector256<float> FirstLanes256(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    /// <summary><see cref="WeightGradientSpatialLanes"/> with 8 lane sums per weight (in the first 8 of its 16 slots).</summary>
    private static void WeightGradientSpatialLanesNarrow(in Conv2dGeometry g, float* image, float* gradOutImage, float* acc, float* scratch)
    {
        float* xs = SpatialPaddedImage(g, image, scratch);
        int ws = SpatialRowStride(g), planeStride = (g.Height + 2 * g.Padding) * ws, k = g.KernelSize, taps = k * k;
        int outH = g.OutHeight, outW = g.OutWidth, ld = SpatialOutStride(g), rows = g.ColumnRows;
        // dy planes with rows padded to whole 32-column blocks by zeros: the lanes past a row add nothing.
        float* dyPad = xs + SpatialPaddedImageSize(g);
        for (int o = 0; o < g.OutChannels; o++)
            for (int i = 0; i < outH; i++)
            {
                CopyShortZeroPadded(gradOutImage + ((long)o * outH + i) * outW, outW, dyPad + ((long)o * outH + i) * ld, ld);
            }
        // Only whole 8-column pieces that hold a real column: the all-zero rest of a 32-column row adds nothing.
        int span = (outW + 7) & ~7;
        nint* offsets = stackalloc nint[NarrowGradTaps];
        nint* planes = stackalloc nint[NarrowGradChannels];
        for (int c = 0; c < g.InChannels; c++)
            for (int t0 = 0; t0 < taps; t0 += NarrowGradTaps)
            {
                int tapCount = Math.Min(NarrowGradTaps, taps - t0);
                TapOffsets(offsets, NarrowGradTaps, c, t0, tapCount, k, ws, planeStride);
                for (int o0 = 0; o0 < g.OutChannels; o0 += NarrowGradChannels)
                {
                    int channels = Math.Min(NarrowGradChannels, g.OutChannels - o0);
                    PlaneOffsets(planes, NarrowGradChannels, o0, g.OutChannels, (long)outH * ld);
                    WeightGradientSpatialBlock256(xs, dyPad, outH, ld, span, ws, offsets, planes,
                        acc + ((long)o0 * rows + c * taps + t0) * 16, rows, channels, tapCount);
                }
            }
    }

    /// <summary>acc[r, q] += Σ_{i, j} dy[planes[r] + i·ld + j] ⊙ x[offsets[q] + i·ws + j] over 8-lane columns j &lt; <paramref name="span"/>,
    /// for 2 output channels × 5 taps; adds the first <paramref name="channels"/> × <paramref name="tapCount"/>.</summary>
    private static void WeightGradientSpatialBlock256(float* xs, float* dyPad, int outH, int ld, int span, int ws, nint* offsets, nint* planes,
        float* acc, int rows, int channels, int tapCount)
    {
        nint x0 = offsets[0], x1 = offsets[1], x2 = offsets[2], x3 = offsets[3], x4 = offsets[4];
        float* d0 = dyPad + planes[0], d1 = dyPad + planes[1];
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default, s04 = default;
        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default, s14 = default;
        // Row pointers step by a row, as in WeightGradientSpatialBlock (fewer live address registers).
        for (int i = 0; i < outH; i++, d0 += ld, d1 += ld)
        {
            float* xr = xs + (long)i * ws;
            for (int j = 0; j < span; j += 8)
            {
                // Scalar math: s[r, q] += dy_r[i, j + l]·x[offsets[q] + i·ws + j + l], l < 8.
                float* xp = xr + j;
                var g0 = Vector256.Load(d0 + j);
                var g1 = Vector256.Load(d1 + j);
                var v = Vector256.Load(xp + x0);
                s00 = Vector256.FusedMultiplyAdd(g0, v, s00); s10 = Vector256.FusedMultiplyAdd(g1, v, s10);
                v = Vector256.Load(xp + x1);
                s01 = Vector256.FusedMultiplyAdd(g0, v, s01); s11 = Vector256.FusedMultiplyAdd(g1, v, s11);
                v = Vector256.Load(xp + x2);
                s02 = Vector256.FusedMultiplyAdd(g0, v, s02); s12 = Vector256.FusedMultiplyAdd(g1, v, s12);
                v = Vector256.Load(xp + x3);
                s03 = Vector256.FusedMultiplyAdd(g0, v, s03); s13 = Vector256.FusedMultiplyAdd(g1, v, s13);
                v = Vector256.Load(xp + x4);
                s04 = Vector256.FusedMultiplyAdd(g0, v, s04); s14 = Vector256.FusedMultiplyAdd(g1, v, s14);
            }
        }
        AddTaps(acc, tapCount, s00, s01, s02, s03, s04);
        if (channels > 1) AddTaps(acc + (long)rows * 16, tapCount, s10, s11, s12, s13, s14);
    }

    /// <summary>Adds the first <paramref name="count"/> of five tap accumulators to consecutive lane-sum slots.</summary>
    private static void AddTaps(float* acc, int count, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2,
        Vector256<float> t3, Vector256<float> t4)
    {
        AddTo(acc, t0);
        if (count > 1) AddTo(acc + 16, t1);
        if (count > 2) AddTo(acc + 32, t2);
        if (count > 3) AddTo(acc + 48, t3);
        if (count > 4) AddTo(acc + 64, t4);
    }
}

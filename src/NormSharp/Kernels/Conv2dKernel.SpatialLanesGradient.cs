using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

// The weight gradient of the spatial-lanes convolutions (Conv2dKernel.SpatialLanes.cs): output columns in the vector lanes,
// dy read where it lies, 16 lane sums per weight (reduced afterwards by ReduceLanes).
public static unsafe partial class Conv2dKernel
{
    /// <summary>Adds one image's weight gradient as 16 lane sums per weight: acc[(o·C·k·k + p)·16 + l].</summary>
    private static void WeightGradientSpatialLanes(in Conv2dGeometry g, float* image, float* gradOutImage, float* acc, float* scratch)
    {
        if (UseNarrowProducts)
        {
            WeightGradientSpatialLanesNarrow(g, image, gradOutImage, acc, scratch);
            return;
        }
        float* xs = SpatialPaddedImage(g, image, scratch);
        int ws = SpatialRowStride(g), planeStride = (g.Height + 2 * g.Padding) * ws, k = g.KernelSize, taps = k * k;
        int outH = g.OutHeight, outW = g.OutWidth, rows = g.ColumnRows;
        // dy is read where it lies, each row's last partial 16-column block loaded under a mask of its valid lanes (zeros
        // past the row add nothing): a zero-padded copy of dy was ~13% of conv1's weight gradient (168 short rows per image).
        nint* planes = stackalloc nint[GradChannels];
        if (k == KernelRowTaps)
        {
            // One kernel row (five consecutive taps) per block: no short last block of taps (25 = 6·4 + 1 computed 28).
            for (int c = 0; c < g.InChannels; c++)
                for (int u = 0; u < k; u++)
                    for (int o0 = 0; o0 < g.OutChannels; o0 += GradChannels)
                    {
                        int channels = Math.Min(GradChannels, g.OutChannels - o0);
                        PlaneOffsets(planes, GradChannels, o0, g.OutChannels, (long)outH * outW);
                        WeightGradientSpatialRow(xs + (long)c * planeStride + u * ws, gradOutImage, outH, outW, ws, planes,
                            acc + ((long)o0 * rows + c * taps + u * k) * 16, rows, channels);
                    }
            return;
        }
        nint* offsets = stackalloc nint[GradTaps];
        for (int c = 0; c < g.InChannels; c++)
            for (int t0 = 0; t0 < taps; t0 += GradTaps)
            {
                int tapCount = Math.Min(GradTaps, taps - t0);
                TapOffsets(offsets, GradTaps, c, t0, tapCount, k, ws, planeStride);
                for (int o0 = 0; o0 < g.OutChannels; o0 += GradChannels)
                {
                    int channels = Math.Min(GradChannels, g.OutChannels - o0);
                    PlaneOffsets(planes, GradChannels, o0, g.OutChannels, (long)outH * outW);
                    WeightGradientSpatialBlock(xs, gradOutImage, outH, outW, ws, offsets, planes,
                        acc + ((long)o0 * rows + c * taps + t0) * 16, rows, channels, tapCount);
                }
            }
    }

    /// <summary>acc[r, q] += Σ_{i, j} dy[planes[r] + i·W' + j] ⊙ x[offsets[q] + i·ws + j] over 16-lane columns j
    /// (a row's partial last block of dy loaded under a mask), for 3 output channels × 4 taps; stores the first
    /// <paramref name="channels"/> × <paramref name="tapCount"/>.</summary>
    private static void WeightGradientSpatialBlock(float* xs, float* dy, int outH, int outW, int ws, nint* offsets, nint* planes,
        float* acc, int rows, int channels, int tapCount)
    {
        nint x0 = offsets[0], x1 = offsets[1], x2 = offsets[2], x3 = offsets[3];
        float* d0 = dy + planes[0], d1 = dy + planes[1], d2 = dy + planes[2];
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        int whole = outW & ~15;
        var tail = FirstLanes512(outW - whole);
        // The dy row pointers step by a row: the loads' addresses computed as d + i·ld + j each pass spilled registers
        // in the two-pass inner loop of LeNet's rows (ld = 32): 0.19 instead of 0.136 ns per FMA (the peak is ~0.125),
        // conv1's weight gradient 0.79–0.86 ms instead of 0.70–0.83 on one thread (bench/RESULTS.md). Whole blocks with
        // plain loads, then the partial one under a mask made once per call, as in WeightGradientSpatialRow.
        for (int i = 0; i < outH; i++, d0 += outW, d1 += outW, d2 += outW)
        {
            float* xr = xs + (long)i * ws;
            int j = 0;
            for (; j < whole; j += 16)
                BlockTaps(xr + j, x0, x1, x2, x3, Vector512.Load(d0 + j), Vector512.Load(d1 + j), Vector512.Load(d2 + j),
                    ref s00, ref s01, ref s02, ref s03, ref s10, ref s11, ref s12, ref s13, ref s20, ref s21, ref s22, ref s23);
            if (j < outW)
                BlockTaps(xr + j, x0, x1, x2, x3, Avx512F.MaskLoad(d0 + j, tail, Vector512<float>.Zero),
                    Avx512F.MaskLoad(d1 + j, tail, Vector512<float>.Zero), Avx512F.MaskLoad(d2 + j, tail, Vector512<float>.Zero),
                    ref s00, ref s01, ref s02, ref s03, ref s10, ref s11, ref s12, ref s13, ref s20, ref s21, ref s22, ref s23);
        }
        AddTaps(acc, tapCount, s00, s01, s02, s03);
        if (channels > 1) AddTaps(acc + (long)rows * 16, tapCount, s10, s11, s12, s13);
        if (channels > 2) AddTaps(acc + 2L * rows * 16, tapCount, s20, s21, s22, s23);
    }

    /// <summary>One 16-column block of <see cref="WeightGradientSpatialBlock"/>: s_rq += g_r ⊙ x[x_q] for its four tap offsets
    /// and the three dy vectors g_r (inlined: the accumulators stay in registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockTaps(float* xp, nint x0, nint x1, nint x2, nint x3, Vector512<float> g0, Vector512<float> g1, Vector512<float> g2,
        ref Vector512<float> s00, ref Vector512<float> s01, ref Vector512<float> s02, ref Vector512<float> s03,
        ref Vector512<float> s10, ref Vector512<float> s11, ref Vector512<float> s12, ref Vector512<float> s13,
        ref Vector512<float> s20, ref Vector512<float> s21, ref Vector512<float> s22, ref Vector512<float> s23)
    {
        var v = Vector512.Load(xp + x0);
        s00 = Vector512.FusedMultiplyAdd(g0, v, s00); s10 = Vector512.FusedMultiplyAdd(g1, v, s10); s20 = Vector512.FusedMultiplyAdd(g2, v, s20);
        v = Vector512.Load(xp + x1);
        s01 = Vector512.FusedMultiplyAdd(g0, v, s01); s11 = Vector512.FusedMultiplyAdd(g1, v, s11); s21 = Vector512.FusedMultiplyAdd(g2, v, s21);
        v = Vector512.Load(xp + x2);
        s02 = Vector512.FusedMultiplyAdd(g0, v, s02); s12 = Vector512.FusedMultiplyAdd(g1, v, s12); s22 = Vector512.FusedMultiplyAdd(g2, v, s22);
        v = Vector512.Load(xp + x3);
        s03 = Vector512.FusedMultiplyAdd(g0, v, s03); s13 = Vector512.FusedMultiplyAdd(g1, v, s13); s23 = Vector512.FusedMultiplyAdd(g2, v, s23);
    }

    /// <summary>acc[r, v] += Σ_{i, j} dy[planes[r] + i·W' + j] ⊙ x[i·ws + j + v] over 16-lane columns j for the five
    /// taps v of one kernel row (x at the row's first tap) and 3 output channels; stores the first
    /// <paramref name="channels"/>.</summary>
    /// <remarks>The taps of a kernel row are consecutive, so the five x loads come from one pointer by immediate offsets
    /// (<see cref="WeightGradientSpatialBlock"/> keeps four tap offsets in general registers), and a 5×5 kernel splits
    /// into five such blocks where blocks of four computed 28 taps for 25. The same sums per tap in the same order, so
    /// the same bits. conv1 [256, 1, 28, 28] → [256, 6, 28, 28] (padding 2) weight and bias gradient, builds alternated
    /// (Intel Xeon): 1 thread 1.09–1.13 → 0.85–0.88 ms, 2 threads 0.63–0.67 → 0.50–0.55 ms.
    /// <para>Each dy row runs its whole 16-column blocks with plain loads, then its last partial block under a mask made
    /// once per call, with no loop over blocks of one or two passes that loaded a mask per block (LeNet's rows of 28 are
    /// one whole block and twelve lanes). A probe of this loop alone (data in L1): 4.7–4.9 → 3.9–4.0 ns per row block.</para></remarks>
    private static void WeightGradientSpatialRow(float* xs, float* dy, int outH, int outW, int ws, nint* planes, float* acc, int rows, int channels)
    {
        float* d0 = dy + planes[0], d1 = dy + planes[1], d2 = dy + planes[2];
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s04 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default, s14 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default, s24 = default;
        int whole = outW & ~15;
        var tail = FirstLanes512(outW - whole);
        for (int i = 0; i < outH; i++, d0 += outW, d1 += outW, d2 += outW) // dy row pointers stepped, as in WeightGradientSpatialBlock
        {
            float* xr = xs + (long)i * ws;
            int j = 0;
            for (; j < whole; j += 16)
                RowBlockTaps(xr + j, Vector512.Load(d0 + j), Vector512.Load(d1 + j), Vector512.Load(d2 + j),
                    ref s00, ref s01, ref s02, ref s03, ref s04, ref s10, ref s11, ref s12, ref s13, ref s14, ref s20, ref s21, ref s22, ref s23, ref s24);
            if (j < outW)
                RowBlockTaps(xr + j, Avx512F.MaskLoad(d0 + j, tail, Vector512<float>.Zero), Avx512F.MaskLoad(d1 + j, tail, Vector512<float>.Zero),
                    Avx512F.MaskLoad(d2 + j, tail, Vector512<float>.Zero),
                    ref s00, ref s01, ref s02, ref s03, ref s04, ref s10, ref s11, ref s12, ref s13, ref s14, ref s20, ref s21, ref s22, ref s23, ref s24);
        }
        AddTaps(acc, 4, s00, s01, s02, s03);
        AddTo(acc + 64, s04);
        if (channels > 1)
        {
            AddTaps(acc + (long)rows * 16, 4, s10, s11, s12, s13);
            AddTo(acc + (long)rows * 16 + 64, s14);
        }
        if (channels > 2)
        {
            AddTaps(acc + 2L * rows * 16, 4, s20, s21, s22, s23);
            AddTo(acc + 2L * rows * 16 + 64, s24);
        }
    }

    /// <summary>One 16-column block of <see cref="WeightGradientSpatialRow"/>: s_rv += g_r ⊙ x[v] for the five taps v (x at
    /// the block's first tap) and the three dy vectors g_r; inlined into both of its loops, the accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowBlockTaps(float* xp, Vector512<float> g0, Vector512<float> g1, Vector512<float> g2,
        ref Vector512<float> s00, ref Vector512<float> s01, ref Vector512<float> s02, ref Vector512<float> s03, ref Vector512<float> s04,
        ref Vector512<float> s10, ref Vector512<float> s11, ref Vector512<float> s12, ref Vector512<float> s13, ref Vector512<float> s14,
        ref Vector512<float> s20, ref Vector512<float> s21, ref Vector512<float> s22, ref Vector512<float> s23, ref Vector512<float> s24)
    {
        var v = Vector512.Load(xp);
        s00 = Vector512.FusedMultiplyAdd(g0, v, s00); s10 = Vector512.FusedMultiplyAdd(g1, v, s10); s20 = Vector512.FusedMultiplyAdd(g2, v, s20);
        v = Vector512.Load(xp + 1);
        s01 = Vector512.FusedMultiplyAdd(g0, v, s01); s11 = Vector512.FusedMultiplyAdd(g1, v, s11); s21 = Vector512.FusedMultiplyAdd(g2, v, s21);
        v = Vector512.Load(xp + 2);
        s02 = Vector512.FusedMultiplyAdd(g0, v, s02); s12 = Vector512.FusedMultiplyAdd(g1, v, s12); s22 = Vector512.FusedMultiplyAdd(g2, v, s22);
        v = Vector512.Load(xp + 3);
        s03 = Vector512.FusedMultiplyAdd(g0, v, s03); s13 = Vector512.FusedMultiplyAdd(g1, v, s13); s23 = Vector512.FusedMultiplyAdd(g2, v, s23);
        v = Vector512.Load(xp + 4);
        s04 = Vector512.FusedMultiplyAdd(g0, v, s04); s14 = Vector512.FusedMultiplyAdd(g1, v, s14); s24 = Vector512.FusedMultiplyAdd(g2, v, s24);
    }

    /// <summary>Adds the first <paramref name="count"/> of four tap accumulators to consecutive lane-sum slots.</summary>
    private static void AddTaps(float* acc, int count, Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3)
    {
        AddTo(acc, t0);
        if (count > 1) AddTo(acc + 16, t1);
        if (count > 2) AddTo(acc + 32, t2);
        if (count > 3) AddTo(acc + 48, t3);
    }

    /// <summary>offsets[q] = the x offset of tap t0 + q of input channel c (c·planeStride + (t / k)·ws + t % k) for q &lt;
    /// <paramref name="count"/>; past the block's <paramref name="tapCount"/> taps, its last tap again (a micro-kernel
    /// computes those accumulators and does not store them).</summary>
    private static void TapOffsets(nint* offsets, int count, int c, int t0, int tapCount, int k, int ws, int planeStride)
    {
        for (int q = 0; q < count; q++)
        {
            int t = t0 + Math.Min(q, tapCount - 1);
            offsets[q] = (nint)c * planeStride + t / k * ws + t % k;
        }
    }

    /// <summary>planes[r] = the dy offset of output channel o0 + r (planes of <paramref name="planeSize"/>) for r &lt;
    /// <paramref name="count"/>; past the last channel, the last channel again (computed by the micro-kernel, not stored).</summary>
    private static void PlaneOffsets(nint* planes, int count, int o0, int outChannels, long planeSize)
    {
        for (int r = 0; r < count; r++) planes[r] = (nint)(Math.Min(o0 + r, outChannels - 1) * planeSize);
    }
}

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // "Output channels in the vector lanes" (shared/PERF.md, "Convolution"; the layout oneDNN's direct
    // convolutions use, nChw16c): when C_out is a multiple of 16, one Vector512 holds 16 output channels of one
    // output position, so
    //   y[o₀…o₁₅, q] = b + Σ_{c,u,v} x[c, i+u, j+v] · Wᵀ[(c,u,v), o₀…o₁₅]      (q = (i, j))
    // is one broadcast of an input value and one FMA per tap, with no im2col matrix at all: the input plane
    // is read in place (through a zero-padded copy when the layer pads). Eight positions side by side give
    // eight independent accumulators (enough to hide the FMA latency) and nine loads per eight FMAs, so the
    // loop is bound by the FMA port instead of by loads from an im2col matrix that does not fit in L1. The
    // weight gradient uses the same layout the other way round: 16 lanes of dWᵀ[(c,u,v), o₀…o₁₅] for eight
    // taps at a time, summed over positions and over the chunk's images. Only stride 1 (LeNet's conv2,
    // 6 → 16, and every 16·m-channel 3×3 or 5×5 layer); other shapes keep the im2col path.

    /// <summary>Positions (forward) or taps (weight gradient) one micro-kernel call keeps in registers.</summary>
    private const int LaneBlock = 8;

    /// <summary>Whether forward and weight gradient run with output channels in the vector lanes.</summary>
    private static bool UsesChannelLanes(in Conv2dGeometry g) =>
        UseDirectProducts && g.OutChannels % 16 == 0 && g.Stride == 1 && !g.IsPointwise;

    /// <summary>Per-chunk scratch of the channel-lanes path: the zero-padded image (when the layer pads), dy of
    /// one image transposed to [C_out/16, H'·W', 16], and one block of results on their way to NCHW.</summary>
    private static int ChannelLanesScratch(in Conv2dGeometry g) =>
        checked(PaddedImageSize(g) + g.OutputImageSize + RunLength * 16);

    /// <summary>Floats of the zero-padded copy of one image, none when the layer does not pad.</summary>
    private static int PaddedImageSize(in Conv2dGeometry g) => g.Padding > 0 ? PaddedCopySize(g, g.Width + 2 * g.Padding) : 0;

    /// <summary>wt[ob, p, l] = w[(16·ob + l)·C·k·k + p]: the weights with 16 output channels per vector.</summary>
    private static void TransposeWeights(in Conv2dGeometry g, float* w, float* wt)
    {
        int rows = g.ColumnRows;
        for (int ob = 0; ob < g.OutChannels / 16; ob++)
            for (int p = 0; p < rows; p++)
                for (int l = 0; l < 16; l++)
                    wt[((long)ob * rows + p) * 16 + l] = w[(long)(ob * 16 + l) * rows + p];
    }

    /// <summary>The image to read windows from: <paramref name="image"/> itself, or its zero-padded copy in
    /// <paramref name="scratch"/> ([C, H + 2p, W + 2p]).</summary>
    private static float* PaddedImage(in Conv2dGeometry g, float* image, float* scratch) =>
        g.Padding == 0 ? image : CopyPadded(g, image, scratch, g.Width + 2 * g.Padding);

    /// <summary>y_n = conv(x_n, W) + b for one image, 16 output channels × 8 positions at a time, or × 10 consecutive
    /// positions of an output row where the rows split into such runs (<see cref="ForwardRun"/>).</summary>
    private static void ForwardChannelLanes(in Conv2dGeometry g, float* image, float* wt, float* bias, float* outImage, float* scratch)
    {
        float* xs = PaddedImage(g, image, scratch);
        float* block = scratch + PaddedImageSize(g) + g.OutputImageSize;
        int wp = g.Width + 2 * g.Padding, planeSize = (g.Height + 2 * g.Padding) * wp;
        int outW = g.OutWidth, positions = g.ColumnCols, rows = g.ColumnRows;
        int k = g.KernelSize, tapCount = k * k;
        nint* offsets = stackalloc nint[LaneBlock];
        nint* taps = stackalloc nint[tapCount];
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) taps[u * k + v] = u * wp + v;
        bool runs = !UseNarrowProducts && outW % RunLength == 0;
        for (int ob = 0; ob < g.OutChannels / 16; ob++)
        {
            var init = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + ob * 16);
            float* wBlock = wt + (long)ob * rows * 16;
            float* outBlock = outImage + (long)ob * 16 * positions;
            if (runs)
            {
                for (int q0 = 0; q0 < positions; q0 += RunLength)
                {
                    ForwardRun(xs + q0 / outW * wp + q0 % outW, wBlock, g.InChannels, tapCount, planeSize, taps, init, block);
                    StoreBlockTransposed(block, LaneBlock, outBlock + q0, positions);
                    for (int j = LaneBlock; j < RunLength; j++) // the run's last two positions, one strided store per channel
                        for (int l = 0; l < 16; l++) outBlock[(long)l * positions + q0 + j] = block[j * 16 + l];
                }
                continue;
            }
            for (int q0 = 0; q0 < positions; q0 += LaneBlock)
            {
                int count = Math.Min(LaneBlock, positions - q0);
                // Top-left corner of each position's window; a short last block repeats its last position.
                for (int j = 0; j < LaneBlock; j++)
                {
                    int q = q0 + Math.Min(j, count - 1);
                    offsets[j] = q / outW * wp + q % outW;
                }
                ForwardBlock(xs, wBlock, g.InChannels, tapCount, planeSize, taps, offsets, init, block);
                StoreBlockTransposed(block, count, outBlock + q0, positions);
            }
        }
    }

    /// <summary>block[j, l] = init[l] + Σ_c Σ_t xs[c·planeSize + taps[t] + offsets[j]] · wt[(c, t), l], j &lt; 8,
    /// with taps[t] = u·wp + v for the t = u·k + v of one input channel.</summary>
    /// <remarks>Native-int offsets and one flat loop over a channel's k·k taps keep the loop body at one weight
    /// load and eight broadcast-FMAs (no sign extensions, no short inner loop of k iterations).</remarks>
    private static void ForwardBlock(float* xs, float* wt, int channels, int tapCount, int planeSize, nint* taps, nint* offsets,
        Vector512<float> init, float* block)
    {
        if (UseNarrowProducts)
        {
            ForwardBlock256(xs, wt, channels, tapCount, planeSize, taps, offsets, init.GetLower(), init.GetUpper(), block);
            return;
        }
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        nint o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7];
        Vector512<float> a0 = init, a1 = init, a2 = init, a3 = init, a4 = init, a5 = init, a6 = init, a7 = init;
        float* w = wt;
        for (int c = 0; c < channels; c++)
        {
            float* plane = xs + (long)c * planeSize;
            for (int t = 0; t < tapCount; t++, w += 16)
            {
                var wv = Vector512.Load(w);
                float* b = plane + taps[t];
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o0]), wv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o1]), wv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o2]), wv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o3]), wv, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o4]), wv, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o5]), wv, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o6]), wv, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(b[o7]), wv, a7);
            }
        }
        a0.Store(block); a1.Store(block + 16); a2.Store(block + 32); a3.Store(block + 48);
        a4.Store(block + 64); a5.Store(block + 80); a6.Store(block + 96); a7.Store(block + 112);
    }

    /// <summary>Consecutive positions of one output row that <see cref="ForwardRun"/> computes together.</summary>
    private const int RunLength = 10;

    /// <summary>block[j, l] = init[l] + Σ_c Σ_t start[c·planeSize + taps[t] + j] · wt[(c, t), l] for j &lt; 10: ten
    /// consecutive positions of an output row (LeNet's conv2 has rows of ten).</summary>
    /// <remarks>The windows of a run are one float apart, so the broadcasts address them from one base by immediate
    /// offsets, where <see cref="ForwardBlock"/> keeps eight window offsets in general registers; and ten accumulators
    /// give the two FMA pipes (4-cycle latency) slack that eight do not (eight chains of one FMA each per tap just
    /// cover the latency). conv2 [256, 6, 14, 14] → [256, 16, 10, 10] forward, builds alternated (Intel Xeon):
    /// 1 thread 1.22–1.27 → 1.02–1.06 ms, 2 threads (`bench kernels`) 0.67–0.68 → 0.58–0.59 ms.</remarks>
    private static void ForwardRun(float* start, float* wt, int channels, int tapCount, int planeSize, nint* taps,
        Vector512<float> init, float* block)
    {
        Vector512<float> a0 = init, a1 = init, a2 = init, a3 = init, a4 = init, a5 = init, a6 = init, a7 = init, a8 = init, a9 = init;
        float* w = wt;
        for (int c = 0; c < channels; c++)
        {
            float* plane = start + (long)c * planeSize;
            for (int t = 0; t < tapCount; t++, w += 16)
            {
                var wv = Vector512.Load(w);
                float* b = plane + taps[t];
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(b[0]), wv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(b[1]), wv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(b[2]), wv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(b[3]), wv, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(b[4]), wv, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(b[5]), wv, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(b[6]), wv, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(b[7]), wv, a7);
                a8 = Vector512.FusedMultiplyAdd(Vector512.Create(b[8]), wv, a8);
                a9 = Vector512.FusedMultiplyAdd(Vector512.Create(b[9]), wv, a9);
            }
        }
        a0.Store(block); a1.Store(block + 16); a2.Store(block + 32); a3.Store(block + 48); a4.Store(block + 64);
        a5.Store(block + 80); a6.Store(block + 96); a7.Store(block + 112); a8.Store(block + 128); a9.Store(block + 144);
    }

    /// <summary>partial[ob, p, l] += Σ_q x_n[window q, tap p] · dy_n[16·ob + l, q] for one image.</summary>
    private static void WeightGradientChannelLanes(in Conv2dGeometry g, float* image, float* gradOutImage, float* partial, float* scratch)
    {
        float* xs = PaddedImage(g, image, scratch);
        float* dyT = scratch + PaddedImageSize(g);
        int wp = g.Width + 2 * g.Padding, planeSize = (g.Height + 2 * g.Padding) * wp;
        int positions = g.ColumnCols, rows = g.ColumnRows, k = g.KernelSize, blocks = g.OutChannels / 16;
        // dyT[ob, q, l] = dy[16·ob + l, q]: one vector load per position below. Transposed 8×8 in registers, as the
        // Vector256 path does: with one strided scalar store per element, conv2's weight gradient took 1.37 instead of
        // 1.20 ms for 256 images (1 thread, Intel Xeon).
        for (int ob = 0; ob < blocks; ob++)
            TransposeGradientBlock(gradOutImage + (long)ob * 16 * positions, dyT + (long)ob * positions * 16, positions);
        if (!UseNarrowProducts && k == RowPairTaps / 2 && g.InChannels * k % 2 == 0)
        {
            // Kernel rows (c, u) two at a time: taps 5·r … 5·r + 9 (WeightGradientRowPair).
            for (int r = 0; r < g.InChannels * k; r += 2)
            {
                nint e0 = (nint)(r / k) * planeSize + r % k * wp, e1 = (nint)((r + 1) / k) * planeSize + (r + 1) % k * wp;
                for (int ob = 0; ob < blocks; ob++)
                    WeightGradientRowPair(xs, dyT + (long)ob * positions * 16, g.OutHeight, g.OutWidth, wp, e0, e1,
                        partial + ((long)ob * rows + r * k) * 16);
            }
            return;
        }
        nint* deltas = stackalloc nint[LaneBlock];
        // Offset of tap p = (c, u, v) inside a window, stepped tap by tap: with three integer divisions per tap, block
        // and image, conv2's weight gradient took 1.20 instead of 1.05 ms for 256 images (1 thread, Intel Xeon).
        nint delta = 0;
        int u = 0, v = 0;
        for (int p0 = 0; p0 < rows; p0 += LaneBlock)
        {
            int count = Math.Min(LaneBlock, rows - p0);
            for (int j = 0; j < count; j++)
            {
                deltas[j] = delta;
                if (++v < k) { delta++; continue; }
                v = 0;
                if (++u < k) { delta += wp - (k - 1); continue; }
                u = 0;
                delta += planeSize - (k - 1) * wp - (k - 1); // next channel's first tap
            }
            for (int j = count; j < LaneBlock; j++) deltas[j] = deltas[count - 1]; // a short last block repeats its last tap
            for (int ob = 0; ob < blocks; ob++)
                WeightGradientBlock(xs, dyT + (long)ob * positions * 16, g.OutHeight, g.OutWidth, wp, deltas,
                    partial + ((long)ob * rows + p0) * 16, count);
        }
    }

    /// <summary>acc[j, l] += Σ_{i,j'} xs[i·wp + j' + deltas[j]] · dyT[(i·W' + j'), l] for the first
    /// <paramref name="count"/> of 8 taps.</summary>
    private static void WeightGradientBlock(float* xs, float* dyT, int outH, int outW, int wp, nint* deltas, float* acc, int count)
    {
        if (UseNarrowProducts)
        {
            WeightGradientBlock256(xs, dyT, outH, outW, wp, deltas, acc, count);
            return;
        }
        nint d0 = deltas[0], d1 = deltas[1], d2 = deltas[2], d3 = deltas[3];
        nint d4 = deltas[4], d5 = deltas[5], d6 = deltas[6], d7 = deltas[7];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
        float* dq = dyT;
        for (int i = 0; i < outH; i++)
        {
            float* row = xs + (long)i * wp;
            for (int j = 0; j < outW; j++, dq += 16)
            {
                var dv = Vector512.Load(dq);
                float* b = row + j;
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d0]), dv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d1]), dv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d2]), dv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d3]), dv, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d4]), dv, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d5]), dv, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d6]), dv, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(b[d7]), dv, a7);
            }
        }
        // The repeated taps of a short block are computed but not stored.
        AddTo(acc, a0);
        if (count > 1) AddTo(acc + 16, a1);
        if (count > 2) AddTo(acc + 32, a2);
        if (count > 3) AddTo(acc + 48, a3);
        if (count > 4) AddTo(acc + 64, a4);
        if (count > 5) AddTo(acc + 80, a5);
        if (count > 6) AddTo(acc + 96, a6);
        if (count > 7) AddTo(acc + 112, a7);
    }

    /// <summary>Taps of <see cref="WeightGradientRowPair"/>: two rows of a 5×5 kernel.</summary>
    private const int RowPairTaps = 10;

    /// <summary>acc[t, l] += Σ_{i,j} xs[i·wp + j + e(t)] · dyT[(i·W' + j), l] for the ten taps of two kernel rows of
    /// five, e(t) = e0 + t for t &lt; 5 and e1 + t − 5 after: the taps of a kernel row are consecutive in a window,
    /// so the broadcasts address them from two bases by immediate offsets (<see cref="WeightGradientBlock"/> keeps
    /// eight tap offsets in general registers), and ten accumulators give the FMA pipes slack over their latency.
    /// The same sums per tap in the same order, so the same bits. conv2 [256, 6, 14, 14] → [256, 16, 10, 10] weight
    /// and bias gradient, builds alternated (Intel Xeon): 1 thread 1.13–1.40 → 1.00–1.14 ms, 2 threads 0.64–0.71 →
    /// 0.57–0.61 ms.</summary>
    private static void WeightGradientRowPair(float* xs, float* dyT, int outH, int outW, int wp, nint e0, nint e1, float* acc)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
        Vector512<float> a5 = default, a6 = default, a7 = default, a8 = default, a9 = default;
        float* dq = dyT;
        for (int i = 0; i < outH; i++)
        {
            float* row = xs + (long)i * wp;
            for (int j = 0; j < outW; j++, dq += 16)
            {
                var dv = Vector512.Load(dq);
                float* b = row + j + e0, c = row + j + e1;
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(b[0]), dv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(b[1]), dv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(b[2]), dv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(b[3]), dv, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(b[4]), dv, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(c[0]), dv, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(c[1]), dv, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(c[2]), dv, a7);
                a8 = Vector512.FusedMultiplyAdd(Vector512.Create(c[3]), dv, a8);
                a9 = Vector512.FusedMultiplyAdd(Vector512.Create(c[4]), dv, a9);
            }
        }
        AddTo(acc, a0); AddTo(acc + 16, a1); AddTo(acc + 32, a2); AddTo(acc + 48, a3); AddTo(acc + 64, a4);
        AddTo(acc + 80, a5); AddTo(acc + 96, a6); AddTo(acc + 112, a7); AddTo(acc + 128, a8); AddTo(acc + 144, a9);
    }

    /// <summary>dst[l·ld + j] = block[j·16 + l] for l &lt; 16, j &lt; <paramref name="count"/> (≤ 8): a block of
    /// [position, channel] results into NCHW planes, as two 8×8 transposes in registers (element by element the
    /// 128 strided stores cost as much as the block's arithmetic).</summary>
    private static void StoreBlockTransposed(float* block, int count, float* dst, int ld)
    {
        float* rows = stackalloc float[64];
        for (int half = 0; half < 2; half++)
        {
            float* src = block + 8 * half;
            var (c0, c1, c2, c3, c4, c5, c6, c7) = Transpose8x8(
                Vector256.Load(src), Vector256.Load(src + 16), Vector256.Load(src + 32), Vector256.Load(src + 48),
                Vector256.Load(src + 64), Vector256.Load(src + 80), Vector256.Load(src + 96), Vector256.Load(src + 112));
            float* d = dst + (long)8 * half * ld;
            if (count == 8)
            {
                c0.Store(d); c1.Store(d + ld); c2.Store(d + 2 * ld); c3.Store(d + 3 * ld);
                c4.Store(d + 4 * ld); c5.Store(d + 5 * ld); c6.Store(d + 6 * ld); c7.Store(d + 7 * ld);
                continue;
            }
            c0.Store(rows); c1.Store(rows + 8); c2.Store(rows + 16); c3.Store(rows + 24);
            c4.Store(rows + 32); c5.Store(rows + 40); c6.Store(rows + 48); c7.Store(rows + 56);
            for (int l = 0; l < 8; l++)
                for (int j = 0; j < count; j++) d[(long)l * ld + j] = rows[l * 8 + j];
        }
    }

    /// <summary>The transpose of the 8×8 matrix whose rows are r0 … r7 (the usual unpack / shuffle / lane-swap network).</summary>
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>,
        Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Transpose8x8(
        Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        return (Avx.Permute2x128(s0, s4, 0x20), Avx.Permute2x128(s1, s5, 0x20),
            Avx.Permute2x128(s2, s6, 0x20), Avx.Permute2x128(s3, s7, 0x20),
            Avx.Permute2x128(s0, s4, 0x31), Avx.Permute2x128(s1, s5, 0x31),
            Avx.Permute2x128(s2, s6, 0x31), Avx.Permute2x128(s3, s7, 0x31));
    }

    private static void AddTo(float* target, Vector512<float> value) => (Vector512.Load(target) + value).Store(target);

    /// <summary>gradWeight[(16·ob + l)·C·k·k + p] += partial[ob, p, l]: the channel-lanes sums back in [C_out, C, k, k].</summary>
    private static void AddTransposedWeights(in Conv2dGeometry g, float* partial, Span<float> gradWeight)
    {
        int rows = g.ColumnRows;
        for (int ob = 0; ob < g.OutChannels / 16; ob++)
            for (int l = 0; l < 16; l++)
            {
                var target = gradWeight.Slice((ob * 16 + l) * rows, rows);
                for (int p = 0; p < rows; p++) target[p] += partial[((long)ob * rows + p) * 16 + l];
            }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // "Output columns in the vector lanes", direct (no im2col): for a layer with few output channels and wide
    // rows (LeNet's conv1: 1 → 6 channels, 28-wide rows), 32 output columns of one row are two Vector512s, and
    //   y[o, i, j₀ … j₀+31] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x[c, i+u, j₀+v … j₀+v+31]
    // is, per tap, two loads of the (zero-padded) input row shifted by v and one broadcast weight per output
    // channel: six output channels give twelve accumulators and eight loads per twelve FMAs. The im2col path
    // wrote and re-read a 25 × 784 matrix per image and ran its last rows of C_out = 6 one at a time, at 40%
    // of the FMA peak. The weight gradient runs the same way round: for three output channels and four taps,
    //   acc[o, (c,u,v)] += dy[o, i, j₀ … j₀+15] ⊙ x[c, i+u, j₀+v …]   (16 lane sums per weight, reduced once per chunk).
    // Only stride 1 with C_out not a multiple of 16 (those use the channel-lanes path) and rows of ≥ 12 outputs.

    /// <summary>Output channels per forward micro-kernel call (weights packed in groups of this many).</summary>
    private const int SpatialChannels = 6;

    /// <summary>Output channels × taps per weight-gradient micro-kernel call.</summary>
    private const int GradChannels = 3, GradTaps = 4;

    /// <summary>Taps of one kernel row that <see cref="SpatialForwardRows"/> and <see cref="WeightGradientSpatialRow"/> take
    /// together (5×5 kernels).</summary>
    private const int KernelRowTaps = 5;

    /// <summary>Whether forward and weight gradient run with output columns in the vector lanes, without im2col.</summary>
    private static bool UsesSpatialLanes(in Conv2dGeometry g) =>
        UseDirectProducts && !UsesChannelLanes(g) && g.Stride == 1 && !g.IsPointwise && g.OutWidth >= 12;

    /// <summary>Row stride of the padded input copy: whole 32-column blocks of outputs plus the k − 1 columns
    /// their windows reach past them, so every row load stays inside the copy.</summary>
    private static int SpatialRowStride(in Conv2dGeometry g) => SpatialOutStride(g) + g.KernelSize - 1;

    /// <summary>Row stride of the zero-padded dy copy: the output width in whole 32-column blocks.</summary>
    private static int SpatialOutStride(in Conv2dGeometry g) => (g.OutWidth + 31) & ~31;

    private static int SpatialPaddedImageSize(in Conv2dGeometry g) => PaddedCopySize(g, SpatialRowStride(g));

    /// <summary>Per-chunk scratch: the padded image, the padded dy image, one block of results on its way out.</summary>
    private static int SpatialLanesScratch(in Conv2dGeometry g) =>
        checked(SpatialPaddedImageSize(g) + g.OutChannels * g.OutHeight * SpatialOutStride(g) + SpatialChannels * 32);

    /// <summary>Floats of the packed forward weights: groups of <see cref="SpatialChannels"/> output channels.</summary>
    private static int SpatialPackedWeightSize(in Conv2dGeometry g) =>
        checked((g.OutChannels + SpatialChannels - 1) / SpatialChannels * g.ColumnRows * SpatialChannels);

    /// <summary>packed[grp, p, r] = w[o·C·k·k + p] with o = min(6·grp + r, C_out − 1): the six weights of one tap
    /// side by side (a short last group repeats its last channel, whose results are not stored).</summary>
    private static void PackSpatialWeights(in Conv2dGeometry g, float* w, float* packed)
    {
        int rows = g.ColumnRows, groups = (g.OutChannels + SpatialChannels - 1) / SpatialChannels;
        for (int grp = 0; grp < groups; grp++)
            for (int p = 0; p < rows; p++)
                for (int r = 0; r < SpatialChannels; r++)
                {
                    int o = Math.Min(grp * SpatialChannels + r, g.OutChannels - 1);
                    packed[((long)grp * rows + p) * SpatialChannels + r] = w[(long)o * rows + p];
                }
    }

    /// <summary>Image [C, H, W] copied into [C, H + 2p, <see cref="SpatialRowStride"/>] with zeros around it.</summary>
    private static float* SpatialPaddedImage(in Conv2dGeometry g, float* image, float* scratch) =>
        CopyPadded(g, image, scratch, SpatialRowStride(g));

    /// <summary>y_n = conv(x_n, W) + b for one image: 6 output channels × 32 columns of one row at a time.</summary>
    private static void ForwardSpatialLanes(in Conv2dGeometry g, float* image, float* packed, float* bias, float* outImage, float* scratch)
    {
        if (UseNarrowProducts)
        {
            ForwardSpatialLanesNarrow(g, image, packed, bias, outImage, scratch);
            return;
        }
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
                for (int j0 = 0; j0 < outW; j0 += 32)
                {
                    float* yBlock = outImage + (long)o0 * planeSize + (long)i * outW + j0;
                    if (k == KernelRowTaps)
                        SpatialForwardRows(xs + (long)i * ws + j0, g.InChannels, planeStride, ws, wGroup, init, yBlock, planeSize, count,
                            Math.Min(32, outW - j0), spill);
                    else SpatialForwardBlock(xs + (long)i * ws + j0, g.InChannels, k, planeStride, taps, wGroup, init,
                        yBlock, planeSize, count, Math.Min(32, outW - j0), spill);
                }
        }
    }

    /// <summary>Six output channels × 32 columns: acc[r, q] = init[r] + Σ_{c,u,v} wt[(c,u,v), r] · x[c·planeStride + u·ws + v + q],
    /// stored to y[r·planeSize + q] for r &lt; <paramref name="channels"/>, q &lt; <paramref name="columns"/>.</summary>
    private static void SpatialForwardBlock(float* x, int inChannels, int k, int planeStride, nint* taps, float* wt, float* init,
        float* y, int planeSize, int channels, int columns, float* spill)
    {
        Vector512<float> a00 = Vector512.Create(init[0]), a01 = a00, a10 = Vector512.Create(init[1]), a11 = a10;
        Vector512<float> a20 = Vector512.Create(init[2]), a21 = a20, a30 = Vector512.Create(init[3]), a31 = a30;
        Vector512<float> a40 = Vector512.Create(init[4]), a41 = a40, a50 = Vector512.Create(init[5]), a51 = a50;
        // One flat loop over a channel's k·k taps (offsets u·ws + v from the caller).
        float* w = wt;
        int tapCount = k * k;
        for (int c = 0; c < inChannels; c++)
        {
            float* plane = x + (long)c * planeStride;
            for (int t = 0; t < tapCount; t++, w += SpatialChannels)
                ForwardTap(plane + taps[t], w, ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51);
        }
        // Into memory before any call: vectors live across a call must be spilled (every zmm register is
        // caller-saved), and without a profile the JIT spilled them inside the loop instead.
        float* acc = spill;
        a00.Store(acc); a01.Store(acc + 16); a10.Store(acc + 32); a11.Store(acc + 48);
        a20.Store(acc + 64); a21.Store(acc + 80); a30.Store(acc + 96); a31.Store(acc + 112);
        a40.Store(acc + 128); a41.Store(acc + 144); a50.Store(acc + 160); a51.Store(acc + 176);
        for (int r = 0; r < channels; r++) StoreRow(y + (long)r * planeSize, columns, acc + 32 * r);
    }

    /// <summary><see cref="SpatialForwardBlock"/> for 5×5 kernels, a kernel row at a time: the five taps of a row are
    /// consecutive in x, so their loads come from one pointer by immediate offsets and their weights from one pointer,
    /// with no tap offsets read from a table. The same fused multiply-adds in the same order (taps by channel, kernel row,
    /// column), so the same bits.</summary>
    private static void SpatialForwardRows(float* x, int inChannels, int planeStride, int ws, float* wt, float* init,
        float* y, int planeSize, int channels, int columns, float* spill)
    {
        Vector512<float> a00 = Vector512.Create(init[0]), a01 = a00, a10 = Vector512.Create(init[1]), a11 = a10;
        Vector512<float> a20 = Vector512.Create(init[2]), a21 = a20, a30 = Vector512.Create(init[3]), a31 = a30;
        Vector512<float> a40 = Vector512.Create(init[4]), a41 = a40, a50 = Vector512.Create(init[5]), a51 = a50;
        float* w = wt;
        for (int c = 0; c < inChannels; c++)
        {
            float* p = x + (long)c * planeStride;
            for (int u = 0; u < KernelRowTaps; u++, p += ws, w += KernelRowTaps * SpatialChannels)
            {
                ForwardTap(p, w, ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51);
                ForwardTap(p + 1, w + SpatialChannels, ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51);
                ForwardTap(p + 2, w + 2 * SpatialChannels, ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51);
                ForwardTap(p + 3, w + 3 * SpatialChannels, ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51);
                ForwardTap(p + 4, w + 4 * SpatialChannels, ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51);
            }
        }
        float* acc = spill; // into memory before any call, as in SpatialForwardBlock
        a00.Store(acc); a01.Store(acc + 16); a10.Store(acc + 32); a11.Store(acc + 48);
        a20.Store(acc + 64); a21.Store(acc + 80); a30.Store(acc + 96); a31.Store(acc + 112);
        a40.Store(acc + 128); a41.Store(acc + 144); a50.Store(acc + 160); a51.Store(acc + 176);
        for (int r = 0; r < channels; r++) StoreRow(y + (long)r * planeSize, columns, acc + 32 * r);
    }

    /// <summary>One tap of <see cref="SpatialForwardBlock"/> and <see cref="SpatialForwardRows"/>: a_r += w[r] · x[p .. p + 32) for the
    /// six output channels (inlined: the accumulators stay in registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardTap(float* p, float* w, ref Vector512<float> a00, ref Vector512<float> a01, ref Vector512<float> a10,
        ref Vector512<float> a11, ref Vector512<float> a20, ref Vector512<float> a21, ref Vector512<float> a30, ref Vector512<float> a31,
        ref Vector512<float> a40, ref Vector512<float> a41, ref Vector512<float> a50, ref Vector512<float> a51)
    {
        var x0 = Vector512.Load(p);
        var x1 = Vector512.Load(p + 16);
        var b = Vector512.Create(w[0]);
        a00 = Vector512.FusedMultiplyAdd(b, x0, a00); a01 = Vector512.FusedMultiplyAdd(b, x1, a01);
        b = Vector512.Create(w[1]);
        a10 = Vector512.FusedMultiplyAdd(b, x0, a10); a11 = Vector512.FusedMultiplyAdd(b, x1, a11);
        b = Vector512.Create(w[2]);
        a20 = Vector512.FusedMultiplyAdd(b, x0, a20); a21 = Vector512.FusedMultiplyAdd(b, x1, a21);
        b = Vector512.Create(w[3]);
        a30 = Vector512.FusedMultiplyAdd(b, x0, a30); a31 = Vector512.FusedMultiplyAdd(b, x1, a31);
        b = Vector512.Create(w[4]);
        a40 = Vector512.FusedMultiplyAdd(b, x0, a40); a41 = Vector512.FusedMultiplyAdd(b, x1, a41);
        b = Vector512.Create(w[5]);
        a50 = Vector512.FusedMultiplyAdd(b, x0, a50); a51 = Vector512.FusedMultiplyAdd(b, x1, a51);
    }

    /// <summary>The first <paramref name="columns"/> (≤ 32) of the 32 values at <paramref name="source"/> to y;
    /// never writes past them. A short row (LeNet's 28) ends in a masked store: a span copy of 112 bytes, once per
    /// row and channel, cost 43% of conv1's forward on an Intel Xeon (AVX-512), the copy re-reading the just-stored
    /// vectors at other widths and offsets (no store-to-load forwarding) and, ahead-of-time compiled in CoreLib, without
    /// the JIT's 64-byte moves.</summary>
    private static void StoreRow(float* y, int columns, float* source)
    {
        var low = Vector512.Load(source);
        if (columns >= 16)
        {
            low.Store(y);
            var high = Vector512.Load(source + 16);
            if (columns == 32) high.Store(y + 16);
            else Avx512F.MaskStore(y + 16, FirstLanes512(columns - 16), high);
        }
        else Avx512F.MaskStore(y, FirstLanes512(columns), low);
    }

    /// <summary>A mask of the first <paramref name="count"/> (0 … 16) float lanes.</summary>
    private static Vector512<float> FirstLanes512(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // The row gradient (Conv2dKernel.RowGradient.cs) over dy rows of 10 (LeNet's conv2: dy [16, 10, 10] → dx [6, 14, 14])
    // with the rows of eight images side by side: 8 × 10 floats are five whole Vector512s, so every lane of every FMA
    // carries a product, where one image's row of 10 in a vector of 16 left 6 lanes of each FMA idle. Each tap column v
    // keeps five accumulators (25 in all, one input channel at a time) and each step is five dy loads and 25 FMAs with the
    // weight broadcast from memory. Every image's lanes see the same products in the same order as in the per-image
    // kernel (dy rows i ascending, then o), and the taps are spread and summed in the same order (v ascending, the lanes
    // outside a tap's reach +0), so the two give the same bits. The JIT keeps the 25 accumulators and the five broadcast
    // weights in registers (31 of 32). Measured on the Intel Xeon (bench/RESULTS.md, 2026-12-03), conv2's dx over
    // [256, 6, 14, 14]: 2 threads 0.66–0.71 → 0.50–0.51 ms, 1 thread 1.29–1.33 → 0.92–0.93.

    /// <summary>Images whose dy rows share the vectors of the packed row gradient.</summary>
    private const int PackedImages = 8;

    /// <summary>The dy row width the packed row gradient is written for: 8 rows of 10 fill five vectors.</summary>
    private const int PackedRowWidth = 10;

    /// <summary>Vectors of one packed dy row: <see cref="PackedImages"/> rows of <see cref="PackedRowWidth"/>.</summary>
    private const int PackedVectors = PackedImages * PackedRowWidth / 16;

    /// <summary>Tests set this to force (true) or forbid (false) the packed row gradient where it applies; null: used
    /// wherever it applies.</summary>
    internal static bool? PackedRowGradientOverride;

    /// <summary>Floats of the largest packed dy block: 256 KB, so that the block (five times the per-image copy) stays
    /// within a core's L2 and the workspace within a few times the im2col matrix it replaces.</summary>
    private const int MaxPackedRowGradientDy = 64 * 1024;

    /// <summary>Whether the row gradient can pack eight images' dy rows into whole vectors: dy rows of 10 (dx rows of 14),
    /// and a packed block within <see cref="MaxPackedRowGradientDy"/>. The workspace follows this, not the override.</summary>
    private static bool PackedRowGradientFits(in Conv2dGeometry g) =>
        UsesRowGradient(g) && g.OutWidth == PackedRowWidth
        && (long)g.OutHeight * g.OutChannels * PackedImages * PackedRowWidth <= MaxPackedRowGradientDy;

    /// <summary>Whether <see cref="Conv2dKernel.BackwardData"/> runs the packed row gradient.</summary>
    private static bool UsesPackedRowGradient(in Conv2dGeometry g) => PackedRowGradientFits(g) && PackedRowGradientOverride != false;

    /// <summary>Floats of one packed dy block: [H', C_out, 80].</summary>
    private static int PackedRowGradientDySize(in Conv2dGeometry g) => checked(g.OutHeight * g.OutChannels * PackedImages * PackedRowWidth);

    /// <summary>Per-chunk scratch of the packed row gradient: the packed dy block, 64-byte aligned inside it.</summary>
    private static int PackedRowGradientScratch(in Conv2dGeometry g) => PackedRowGradientFits(g) ? PackedRowGradientDySize(g) + 16 : 0;

    /// <summary>dx for the images of one chunk, eight at a time, from the weights of <see cref="ReorderRowGradientWeights"/>.
    /// The chunks split the batch in whole groups of eight (the last group may be short: its missing images are zero rows).</summary>
    private readonly struct PackedRowGradientBody(Conv2dGeometry g, int chunks, float* dy, float* weights, float* dx, float* workspace) : IChunkBody
    {
        public void Execute(int chunk)
        {
            float* scratch = ChunkColumns(g, workspace, chunk);
            float* rows = (float*)(((nint)scratch + 63) & ~(nint)63);
            // spread[s · 5 + v]: lane j of image s's dx row takes packed lane 10s + j − v (an index into the two vectors
            // from vector (10s) / 16 on); reach[v]: the lanes j with 0 ≤ j − v < 10, the others +0.
            var spread = stackalloc Vector512<int>[PackedImages * RowGradientTaps];
            var reach = stackalloc Vector512<float>[RowGradientTaps];
            // taps[v · 5 + vector], and one more: the last image's Spread names a next vector that it does not read.
            var taps = stackalloc Vector512<float>[RowGradientTaps * PackedVectors + 1];
            var lanes = Vector512<int>.Indices;
            for (int v = 0; v < RowGradientTaps; v++)
            {
                reach[v] = (Vector512.GreaterThanOrEqual(lanes, Vector512.Create(v)) & Vector512.LessThan(lanes, Vector512.Create(v + PackedRowWidth))).AsSingle();
                for (int s = 0; s < PackedImages; s++)
                    spread[s * RowGradientTaps + v] = Vector512.Max(lanes + Vector512.Create(PackedRowWidth * s % 16 - v), Vector512<int>.Zero) & Vector512.Create(31);
            }
            var dxLanes = Vector512.LessThan(lanes, Vector512.Create(g.Width)).AsSingle();
            int groups = (g.Batch + PackedImages - 1) / PackedImages, inPlane = g.Height * g.Width;
            for (int group = ChunkStart(chunk, chunks, groups), end = ChunkStart(chunk + 1, chunks, groups); group < end; group++)
            {
                int n0 = group * PackedImages, count = Math.Min(PackedImages, g.Batch - n0);
                PackRows(dy + (long)n0 * g.OutputImageSize, count, rows);
                float* dxImages = dx + (long)n0 * g.InputImageSize;
                for (int c = 0; c < g.InChannels; c++)
                {
                    float* row = dxImages + (long)c * inPlane;
                    for (int r = 0; r < g.Height; r++, row += g.Width)
                    {
                        Accumulate(rows, c, r, taps);
                        for (int s = 0; s < count; s++)
                        {
                            var sv = spread + s * RowGradientTaps;
                            var t = taps + PackedRowWidth * s / 16;
                            var sum = Spread(t, sv[0], reach[0]);
                            sum += Spread(t + PackedVectors, sv[1], reach[1]);
                            sum += Spread(t + 2 * PackedVectors, sv[2], reach[2]);
                            sum += Spread(t + 3 * PackedVectors, sv[3], reach[3]);
                            sum += Spread(t + 4 * PackedVectors, sv[4], reach[4]);
                            Avx512F.MaskStore(row + (long)s * g.InputImageSize, dxLanes, sum);
                        }
                    }
                }
            }
        }

        /// <summary>dy of <paramref name="count"/> images from <paramref name="images"/> → [H', C_out, 80]: row i of channel o
        /// of image s at lanes [10s, 10s + 10), the images past count zero.</summary>
        private void PackRows(float* images, int count, float* rows)
        {
            var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(PackedRowWidth)).AsSingle();
            int plane = g.OutHeight * PackedRowWidth;
            for (int i = 0; i < g.OutHeight; i++)
                for (int o = 0; o < g.OutChannels; o++)
                {
                    float* target = rows + ((long)i * g.OutChannels + o) * (PackedImages * PackedRowWidth);
                    for (int s = 0; s < PackedImages; s++)
                    {
                        var row = s < count
                            ? Avx512F.MaskLoad(images + (long)s * g.OutputImageSize + (long)o * plane + i * PackedRowWidth, valid, Vector512<float>.Zero)
                            : Vector512<float>.Zero;
                        Avx512F.MaskStore(target + s * PackedRowWidth, valid, row);
                    }
                }
        }

        /// <summary>An image's lanes of one tap's accumulators (from the vector at <paramref name="t"/> and the next, which
        /// exists wherever the image's lanes reach it), moved to the dx row's lanes (shifted up by the tap column), the
        /// lanes out of the tap's reach +0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Spread(Vector512<float>* t, Vector512<int> index, Vector512<float> reach) =>
            Avx512F.PermuteVar16x32x2(t[0], index, t[1]) & reach;

        /// <summary>For each tap column v, Σ_i Σ_o W[o, c, r − i, v] · dy[o, i, ·] over the dy rows i that reach dx row r (i
        /// ascending, then o) for the eight images at once: the per-image kernel's sums, lane for lane.</summary>
        private void Accumulate(float* rows, int c, int r, Vector512<float>* taps)
        {
            int k = RowGradientTaps, outC = g.OutChannels;
            int first = Math.Max(0, r - (k - 1)), last = Math.Min(r, g.OutHeight - 1);
            int steps = (last - first + 1) * outC;
            float* d = rows + (long)first * outC * (PackedImages * PackedRowWidth);
            float* w = weights + ((long)c * k + (k - 1 - (r - first))) * outC * k;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default;
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default;
            Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default;
            Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default;
            for (int j = 0; j < steps; j++, d += PackedImages * PackedRowWidth, w += k)
            {
                // a: tap column 0, b: 1, ..., e: 4; the digit is the vector of the packed row.
                Taps(Vector512.LoadAligned(d), w, ref a0, ref b0, ref c0, ref d0, ref e0);
                Taps(Vector512.LoadAligned(d + 16), w, ref a1, ref b1, ref c1, ref d1, ref e1);
                Taps(Vector512.LoadAligned(d + 32), w, ref a2, ref b2, ref c2, ref d2, ref e2);
                Taps(Vector512.LoadAligned(d + 48), w, ref a3, ref b3, ref c3, ref d3, ref e3);
                Taps(Vector512.LoadAligned(d + 64), w, ref a4, ref b4, ref c4, ref d4, ref e4);
            }
            taps[0] = a0; taps[1] = a1; taps[2] = a2; taps[3] = a3; taps[4] = a4;
            taps[5] = b0; taps[6] = b1; taps[7] = b2; taps[8] = b3; taps[9] = b4;
            taps[10] = c0; taps[11] = c1; taps[12] = c2; taps[13] = c3; taps[14] = c4;
            taps[15] = d0; taps[16] = d1; taps[17] = d2; taps[18] = d3; taps[19] = d4;
            taps[20] = e0; taps[21] = e1; taps[22] = e2; taps[23] = e3; taps[24] = e4;
        }

        /// <summary>One dy vector times the five tap-column weights w[0..5), into each tap's accumulator.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Taps(Vector512<float> x, float* w, ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c,
            ref Vector512<float> d, ref Vector512<float> e)
        {
            a = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[0]), a);
            b = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[1]), b);
            c = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[2]), c);
            d = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[3]), d);
            e = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[4]), e);
        }
    }
}

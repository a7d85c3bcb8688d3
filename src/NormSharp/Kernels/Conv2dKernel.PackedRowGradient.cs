using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // The row gradient (Conv2dKernel.RowGradient.cs) with the dy rows of several images side by side, so that every
    // lane of every FMA carries a product: LeNet's conv2 (dy [16, 10, 10] → dx [6, 14, 14]) puts eight images' rows of
    // 10 in five whole Vector512s, where one image's row of 10 in a vector of 16 left 6 lanes of each FMA idle. Rows of
    // 2, 4 and 8 pack into two vectors (16, 8 and 4 images), rows of 6 and 12 into three (8 and 4 images). Each tap
    // column v keeps one accumulator per vector (up to 25, one input channel at a time) and each step is one dy load per
    // vector and five FMAs per load with the weights broadcast. Every image's lanes see the same products in the same
    // order as in the per-image kernel (dy rows i ascending, then o), and the taps are spread and summed in the same order
    // (v ascending, the lanes outside a tap's reach +0), so the two give the same bits. The JIT keeps the accumulators and
    // the five broadcast weights in registers (31 of 32 for five vectors). Measured on the Intel Xeon
    // (bench/RESULTS.md, 2026-12-03; in process, per-image → packed, 16 → 6 channels, 256 images, 2 threads / 1 thread):
    // dy rows of 10 (LeNet's conv2) 0.627 → 0.442 / 1.205 → 0.829 ms, rows of 8 0.494 → 0.327 / 0.978 → 0.591, rows of
    // 6 0.372 → 0.180 / 0.713 → 0.394, rows of 12 0.721 → 0.589 / 1.423 → 1.246.

    /// <summary>Tests set this to force (true) or forbid (false) the packed row gradient where it applies; null: used
    /// wherever it applies.</summary>
    internal static bool? PackedRowGradientOverride;

    /// <summary>Floats of the largest packed dy block: 256 KB, so that the block (at most five times the per-image copy)
    /// stays within a core's L2 and the workspace within a few times the im2col matrix it replaces.</summary>
    private const int MaxPackedRowGradientDy = 64 * 1024;

    /// <summary>Vectors of one packed dy row for dy rows of <paramref name="width"/> (0: no packing): the fewest whole
    /// vectors, at least two (so that the ten or more accumulators hide the FMA latency), that rows of that width fill.</summary>
    private static int PackedVectors(int width) => width switch { 2 or 4 or 8 => 2, 6 or 12 => 3, 10 => 5, _ => 0 };

    /// <summary>Images per packed dy row: its vectors' 16 lanes each, in rows of <see cref="Conv2dGeometry.OutWidth"/>.</summary>
    private static int PackedImages(in Conv2dGeometry g) => 16 * PackedVectors(g.OutWidth) / g.OutWidth;

    /// <summary>Whether the row gradient can pack dy rows into whole vectors (<see cref="PackedVectors"/>) within
    /// <see cref="MaxPackedRowGradientDy"/>. The workspace follows this, not the override.</summary>
    private static bool PackedRowGradientFits(in Conv2dGeometry g) =>
        UsesRowGradient(g) && PackedVectors(g.OutWidth) > 0 && PackedRowGradientDySize(g) <= MaxPackedRowGradientDy;

    /// <summary>Whether <see cref="Conv2dKernel.BackwardData"/> runs the packed row gradient.</summary>
    private static bool UsesPackedRowGradient(in Conv2dGeometry g) => PackedRowGradientFits(g) && PackedRowGradientOverride != false;

    /// <summary>Floats of one packed dy block: [H', C_out, 16 · vectors].</summary>
    private static long PackedRowGradientDySize(in Conv2dGeometry g) => (long)g.OutHeight * g.OutChannels * 16 * PackedVectors(g.OutWidth);

    /// <summary>Per-chunk scratch of the packed row gradient: the packed dy block, 64-byte aligned inside it.</summary>
    private static int PackedRowGradientScratch(in Conv2dGeometry g) => PackedRowGradientFits(g) ? (int)PackedRowGradientDySize(g) + 16 : 0;

    /// <summary>Runs the packed row gradient with its vector count as a type, so that the JIT drops the unused accumulators.</summary>
    private static void RunPackedRowGradient(in Conv2dGeometry g, int chunks, float* dy, float* weights, float* dx, float* workspace)
    {
        switch (PackedVectors(g.OutWidth))
        {
            case 2: ParallelRunner.For(chunks, new PackedRowGradientBody<TwoVectors>(g, chunks, dy, weights, dx, workspace)); break;
            case 3: ParallelRunner.For(chunks, new PackedRowGradientBody<ThreeVectors>(g, chunks, dy, weights, dx, workspace)); break;
            default: ParallelRunner.For(chunks, new PackedRowGradientBody<FiveVectors>(g, chunks, dy, weights, dx, workspace)); break;
        }
    }

    /// <summary>The vectors of one packed dy row, as a type.</summary>
    private interface IPackedVectors { static abstract int Count { get; } }
    private readonly struct TwoVectors : IPackedVectors { public static int Count => 2; }
    private readonly struct ThreeVectors : IPackedVectors { public static int Count => 3; }
    private readonly struct FiveVectors : IPackedVectors { public static int Count => 5; }

    /// <summary>dx for the images of one chunk, a group of <see cref="PackedImages"/> at a time, from the weights of
    /// <see cref="ReorderRowGradientWeights"/>. The chunks split the batch in whole groups (the last group may be short:
    /// its missing images are zero rows).</summary>
    private readonly struct PackedRowGradientBody<TVectors>(Conv2dGeometry g, int chunks, float* dy, float* weights, float* dx, float* workspace)
        : IChunkBody where TVectors : struct, IPackedVectors
    {
        public void Execute(int chunk)
        {
            float* scratch = ChunkColumns(g, workspace, chunk);
            float* rows = (float*)(((nint)scratch + 63) & ~(nint)63);
            int width = g.OutWidth, images = PackedImages(g), vectors = TVectors.Count;
            // spread[s · 5 + v]: lane j of image s's dx row takes packed lane width·s + j − v (an index into the two
            // vectors from vector width·s / 16 on); reach[v]: the lanes j with 0 ≤ j − v < width, the others +0.
            var spread = stackalloc Vector512<int>[16 * RowGradientTaps];
            var reach = stackalloc Vector512<float>[RowGradientTaps];
            // taps[v · vectors + vector], and one more: the last image's Spread names a next vector that it does not read.
            var taps = stackalloc Vector512<float>[RowGradientTaps * 5 + 1];
            var lanes = Vector512<int>.Indices;
            for (int v = 0; v < RowGradientTaps; v++)
            {
                reach[v] = Vector512.AndNot(FirstLanes512(v + width), FirstLanes512(v));
                for (int s = 0; s < images; s++)
                    spread[s * RowGradientTaps + v] = Vector512.Max(lanes + Vector512.Create(width * s % 16 - v), Vector512<int>.Zero) & Vector512.Create(31);
            }
            var dxLanes = FirstLanes512(g.Width);
            int groups = (g.Batch + images - 1) / images, inPlane = g.Height * g.Width;
            for (int group = ChunkStart(chunk, chunks, groups), end = ChunkStart(chunk + 1, chunks, groups); group < end; group++)
            {
                int n0 = group * images, count = Math.Min(images, g.Batch - n0);
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
                            var t = taps + width * s / 16;
                            var sum = Spread(t, sv[0], reach[0]);
                            sum += Spread(t + vectors, sv[1], reach[1]);
                            sum += Spread(t + 2 * vectors, sv[2], reach[2]);
                            sum += Spread(t + 3 * vectors, sv[3], reach[3]);
                            sum += Spread(t + 4 * vectors, sv[4], reach[4]);
                            Avx512F.MaskStore(row + (long)s * g.InputImageSize, dxLanes, sum);
                        }
                    }
                }
            }
        }

        /// <summary>dy of <paramref name="count"/> images from <paramref name="images"/> → [H', C_out, 16 · vectors]: row i of
        /// channel o of image s at lanes [W's, W's + W'), the images past count zero.</summary>
        private void PackRows(float* images, int count, float* rows)
        {
            int width = g.OutWidth, plane = g.OutHeight * width, packed = 16 * TVectors.Count, group = PackedImages(g);
            var valid = FirstLanes512(width);
            for (int i = 0; i < g.OutHeight; i++)
                for (int o = 0; o < g.OutChannels; o++)
                {
                    float* target = rows + ((long)i * g.OutChannels + o) * packed;
                    for (int s = 0; s < group; s++)
                    {
                        var row = s < count
                            ? Avx512F.MaskLoad(images + (long)s * g.OutputImageSize + (long)o * plane + i * width, valid, Vector512<float>.Zero)
                            : Vector512<float>.Zero;
                        Avx512F.MaskStore(target + s * width, valid, row);
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
        /// ascending, then o) for the group's images at once: the per-image kernel's sums, lane for lane.</summary>
        private void Accumulate(float* rows, int c, int r, Vector512<float>* taps)
        {
            int k = RowGradientTaps, outC = g.OutChannels, packed = 16 * TVectors.Count;
            int first = Math.Max(0, r - (k - 1)), last = Math.Min(r, g.OutHeight - 1);
            int steps = (last - first + 1) * outC;
            float* d = rows + (long)first * outC * packed;
            float* w = weights + ((long)c * k + (k - 1 - (r - first))) * outC * k;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default;
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default;
            Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default;
            Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default;
            for (int j = 0; j < steps; j++, d += packed, w += k)
            {
                // a: tap column 0, b: 1, ..., e: 4; the digit is the vector of the packed row (TVectors.Count is a
                // constant of each instantiation, so the JIT drops the vectors a row does not have).
                Taps(Vector512.LoadAligned(d), w, ref a0, ref b0, ref c0, ref d0, ref e0);
                Taps(Vector512.LoadAligned(d + 16), w, ref a1, ref b1, ref c1, ref d1, ref e1);
                if (TVectors.Count >= 3) Taps(Vector512.LoadAligned(d + 32), w, ref a2, ref b2, ref c2, ref d2, ref e2);
                if (TVectors.Count >= 5)
                {
                    Taps(Vector512.LoadAligned(d + 48), w, ref a3, ref b3, ref c3, ref d3, ref e3);
                    Taps(Vector512.LoadAligned(d + 64), w, ref a4, ref b4, ref c4, ref d4, ref e4);
                }
            }
            Store(taps, a0, a1, a2, a3, a4);
            Store(taps + TVectors.Count, b0, b1, b2, b3, b4);
            Store(taps + 2 * TVectors.Count, c0, c1, c2, c3, c4);
            Store(taps + 3 * TVectors.Count, d0, d1, d2, d3, d4);
            Store(taps + 4 * TVectors.Count, e0, e1, e2, e3, e4);
        }

        /// <summary>One tap's accumulators, the row's vectors of them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(Vector512<float>* tap, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> v4)
        {
            tap[0] = v0;
            tap[1] = v1;
            if (TVectors.Count >= 3) tap[2] = v2;
            if (TVectors.Count >= 5) { tap[3] = v3; tap[4] = v4; }
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

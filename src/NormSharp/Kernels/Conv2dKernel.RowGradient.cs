using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // Input gradient without im2col for 5×5 kernels over rows of at most 12 outputs (LeNet's conv2: dy [16, 10, 10] →
    // dx [6, 14, 14]). With stride 1 and no padding (the transposed convolution; Dumoulin & Visin, "A guide to
    // convolution arithmetic", 2016, §4)
    //   dx[c, r, j] = Σ_{u,v} Σ_o W[o, c, u, v] · dy[o, r − u, j − v],
    // so for dx row r one accumulator per tap column v sums W[o, c, u, v] · dy[o, r − u, ·] (a dy row in the low
    // lanes of a Vector512, zeros above it) over the taps u and o; two input channels at once make ten accumulators
    // and ten FMAs per dy load. The row is then Σ_v (accumulator v shifted up by v lanes: one vpermt2ps each), stored
    // once, masked to its width. So that the (u, o) pairs of a row are one loop with constant strides, each chunk
    // copies an image's dy to [H', C_out, 16] (rows zero-padded to a vector), and the call reorders the weights once
    // to [C, k, C_out, k] with the taps u reversed: dy rows i = r − u ascending meet kernel rows u descending.
    // The im2col path instead wrote and re-read a [150, 100] column matrix per image (Wᵀ·dy with K = 16), then added
    // it back into dx (col2im): conv2's dx 1.12–1.15 → 0.72 ms (2 threads, Intel Xeon; bench/RESULTS.md). dy rows of
    // 2, 4, 6, 8, 10 and 12 take the packed form (Conv2dKernel.PackedRowGradient.cs: several images' rows in whole
    // vectors, the same bits); this per-image form keeps the odd widths.

    /// <summary>Taps per kernel row the row gradient is written for (5: ten accumulators for two channels).</summary>
    private const int RowGradientTaps = 5;

    /// <summary>Whether <see cref="BackwardData"/> runs row by row: AVX-512, stride 1, no padding, 5×5 kernels and dx
    /// rows that fit one Vector512 (at most 16 wide, so output rows of at most 12).</summary>
    private static bool UsesRowGradient(in Conv2dGeometry g) =>
        Vector512.IsHardwareAccelerated && g.Stride == 1 && g.Padding == 0 && g.KernelSize == RowGradientTaps && g.Width <= 16;

    /// <summary>Floats of one dy image as [H', C_out, 16].</summary>
    private static int RowGradientDySize(in Conv2dGeometry g) => checked(g.OutHeight * g.OutChannels * 16);

    /// <summary>Per-chunk scratch of the row gradient: the dy copy, 64-byte aligned inside it.</summary>
    private static int RowGradientScratch(in Conv2dGeometry g) => checked(RowGradientDySize(g) + 16);

    /// <summary>w [C_out, C, k, k] → [C, k, C_out, k] with the kernel rows reversed: packed[c, k − 1 − u, o, v] = w[o, c, u, v].</summary>
    private static void ReorderRowGradientWeights(in Conv2dGeometry g, float* w, float* packed)
    {
        int k = RowGradientTaps;
        for (int o = 0; o < g.OutChannels; o++)
            for (int c = 0; c < g.InChannels; c++)
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++)
                        packed[(((long)c * k + (k - 1 - u)) * g.OutChannels + o) * k + v] = w[(((long)o * g.InChannels + c) * k + u) * k + v];
    }

    /// <summary>dx_n for the images of one chunk, row by row, from the weights of <see cref="ReorderRowGradientWeights"/>.</summary>
    private readonly struct RowGradientBody(Conv2dGeometry g, int chunks, float* dy, float* weights, float* dx, float* workspace) : IChunkBody
    {
        public void Execute(int chunk)
        {
            float* scratch = ChunkColumns(g, workspace, chunk);
            float* dyRows = (float*)(((nint)scratch + 63) & ~(nint)63);
            // shift[v]: lane j takes the accumulator's lane j − v for j ≥ v, else a lane of the zero vector (16).
            var shift = stackalloc Vector512<int>[RowGradientTaps];
            var lanes = Vector512<int>.Indices;
            for (int v = 0; v < RowGradientTaps; v++)
                shift[v] = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(lanes, Vector512.Create(v)), lanes - Vector512.Create(v), Vector512.Create(16));
            var dxLanes = FirstLanes512(g.Width);
            int inPlane = g.Height * g.Width;
            for (int n = ChunkStart(chunk, chunks, g.Batch), end = ChunkStart(chunk + 1, chunks, g.Batch); n < end; n++)
            {
                CopyRows(dy + (long)n * g.OutputImageSize, dyRows);
                float* dxImage = dx + (long)n * g.InputImageSize;
                for (int c = 0; c < g.InChannels; c += 2)
                {
                    int c1 = Math.Min(c + 1, g.InChannels - 1); // a last lone channel runs as both, stored once
                    float* row0 = dxImage + (long)c * inPlane, row1 = dxImage + (long)c1 * inPlane;
                    for (int r = 0; r < g.Height; r++, row0 += g.Width, row1 += g.Width)
                    {
                        Accumulate(dyRows, c, c1, r, out var a0, out var a1);
                        Avx512F.MaskStore(row0, dxLanes, Spread(a0, shift));
                        if (c1 != c) Avx512F.MaskStore(row1, dxLanes, Spread(a1, shift));
                    }
                }
            }
        }

        /// <summary>dy [C_out, H', W'] → [H', C_out, 16], each row's lanes past W' zero.</summary>
        private void CopyRows(float* image, float* rows)
        {
            var valid = FirstLanes512(g.OutWidth);
            for (int o = 0; o < g.OutChannels; o++)
                for (int i = 0; i < g.OutHeight; i++)
                    Avx512F.MaskLoad(image + ((long)o * g.OutHeight + i) * g.OutWidth, valid, Vector512<float>.Zero)
                        .StoreAligned(rows + ((long)i * g.OutChannels + o) * 16);
        }

        /// <summary>Σ_v accumulator v shifted up by v lanes (v ascending): the dx row.</summary>
        private static Vector512<float> Spread(in Taps a, Vector512<int>* shift)
        {
            var zero = Vector512<float>.Zero;
            var row = a.V0;
            row += Avx512F.PermuteVar16x32x2(a.V1, shift[1], zero);
            row += Avx512F.PermuteVar16x32x2(a.V2, shift[2], zero);
            row += Avx512F.PermuteVar16x32x2(a.V3, shift[3], zero);
            row += Avx512F.PermuteVar16x32x2(a.V4, shift[4], zero);
            return row;
        }

        /// <summary>Σ_i Σ_o W[o, c, r − i, v] · dy[o, i, ·] over the dy rows i that reach dx row r (i ascending, then o),
        /// for each tap column v and channels c0 and c1.</summary>
        private void Accumulate(float* dyRows, int c0, int c1, int r, out Taps a0, out Taps a1)
        {
            int k = RowGradientTaps, outC = g.OutChannels;
            int first = Math.Max(0, r - (k - 1)), last = Math.Min(r, g.OutHeight - 1); // dy rows i, kernel rows u = r − i
            int steps = (last - first + 1) * outC;
            float* d = dyRows + (long)first * outC * 16;
            // packed[c, k − 1 − u, o, ·] with u = r − first for the first row, then o and the kernel rows run on together.
            float* w0 = weights + ((long)c0 * k + (k - 1 - (r - first))) * outC * k, w1 = weights + ((long)c1 * k + (k - 1 - (r - first))) * outC * k;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default;
            Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default, t4 = default;
            for (int j = 0; j < steps; j++, d += 16, w0 += k, w1 += k)
            {
                var x = Vector512.LoadAligned(d);
                s0 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w0[0]), s0);
                s1 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w0[1]), s1);
                s2 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w0[2]), s2);
                s3 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w0[3]), s3);
                s4 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w0[4]), s4);
                t0 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w1[0]), t0);
                t1 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w1[1]), t1);
                t2 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w1[2]), t2);
                t3 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w1[3]), t3);
                t4 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w1[4]), t4);
            }
            a0 = new Taps(s0, s1, s2, s3, s4);
            a1 = new Taps(t0, t1, t2, t3, t4);
        }
    }

    /// <summary>One accumulator per tap column v.</summary>
    private readonly record struct Taps(Vector512<float> V0, Vector512<float> V1, Vector512<float> V2, Vector512<float> V3, Vector512<float> V4);
}

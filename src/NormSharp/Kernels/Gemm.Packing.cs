using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs the block op(A)[ic : ic+mc, pc : pc+kc] into MR-tall panels: panel r holds, for every p,
    /// the MR values op(A)[ic + r·MR + i, pc + p] contiguously (the micro-kernel broadcasts them one by
    /// one). Rows past the edge are zero, so edge tiles run the full kernel harmlessly.
    /// </summary>
    private static void PackA(in Problem p, int ic, int pc, int mc, int kc, int mr, float* dst)
    {
        if (p.TransA)
        {
            // Stored k×m: the MR values of one p are adjacent in memory. Row by row of the stored matrix, each row's
            // mc values dealt out to the panels: a panel at a time read each cache line of A 16/MR times, kc lines
            // apart, which on a 512 KB L2 already full of the B block came from L3 each time (Zen 3, 500×784×500
            // weight gradient: the packing of A was 19% of the product's time).
            float* row = p.A + (nint)pc * p.Lda + ic;
            for (int q = 0; q < kc; q++, row += p.Lda)
            {
                float* panel = dst + (nint)q * mr;
                for (int i0 = 0; i0 < mc; i0 += mr, panel += (nint)mr * kc) CopyPadded(row + i0, panel, Math.Min(mr, mc - i0), mr);
            }
            return;
        }
        for (int i0 = 0; i0 < mc; i0 += mr, dst += (nint)mr * kc)
        {
            int rows = Math.Min(mr, mc - i0);
            // Stored m×k: rows are contiguous along p, the panel wants them across — a transpose.
            PackTransposed(p.A + (nint)(ic + i0) * p.Lda + pc, p.Lda, rows, kc, dst, mr);
            if (rows < mr)
                for (int q = 0; q < kc; q++) new Span<float>(dst + (nint)q * mr + rows, mr - rows).Clear();
        }
    }

    /// <summary>
    /// Packs the block op(B)[pc : pc+kc, jc : jc+nc] into panels NR wide (the last one as wide as the kernel's
    /// <see cref="IMicroKernel.PanelWidth"/> of its columns): panel s holds, for every p, its values of row
    /// op(B)[pc + p, ·] contiguously (the micro-kernel loads them as vectors). Columns past the edge are zero.
    /// Panel s starts at s·NR·kc whatever the widths, as the driver expects.
    /// </summary>
    private static void PackB<TKernel>(in Problem p, int pc, int jc, int kc, int nc, float* dst)
        where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Nr;
        if (!p.TransB)
        {
            // Stored k×n: the values of one p are adjacent in memory. Row by row, each row's nc values dealt out to
            // the panels (one whole cache line each): a panel at a time walked kc rows ldb apart for every NR columns
            // (10% of the Zen 3 weight gradient above).
            float* row = p.B + (nint)pc * p.Ldb + jc;
            for (int q = 0; q < kc; q++, row += p.Ldb)
            {
                float* panel = dst;
                for (int j0 = 0; j0 < nc; j0 += nr, panel += (nint)nr * kc)
                {
                    int cols = Math.Min(nr, nc - j0), width = TKernel.PanelWidth(cols);
                    CopyPadded(row + j0, panel + (nint)q * width, cols, width);
                }
            }
            return;
        }
        for (int j0 = 0; j0 < nc; j0 += nr, dst += (nint)nr * kc)
        {
            int cols = Math.Min(nr, nc - j0);
            int width = TKernel.PanelWidth(cols);
            // Stored n×k: each column of op(B) is a contiguous row — a transpose.
            PackTransposed(p.B + (nint)(jc + j0) * p.Ldb + pc, p.Ldb, cols, kc, dst, width);
            if (cols < width)
                for (int q = 0; q < kc; q++) new Span<float>(dst + (nint)q * width + cols, width - cols).Clear();
        }
    }

    /// <summary>dst[0 : count] = src[0 : count], then zeros up to <paramref name="width"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPadded(float* src, float* dst, int count, int width)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
            // MR = 12 (a transposed A's rows): 8 + 4 without a scalar loop.
            if (i + 4 <= count)
            {
                Vector128.Store(Vector128.Load(src + i), dst + i);
                i += 4;
            }
        }
        for (; i < count; i++) dst[i] = src[i];
        for (; i < width; i++) dst[i] = 0;
    }
}

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
        for (int i0 = 0; i0 < mc; i0 += mr, dst += (nint)mr * kc)
        {
            int rows = Math.Min(mr, mc - i0);
            if (p.TransA)
            {
                // Stored k×m: the MR values of one p are adjacent in memory.
                float* src = p.A + (nint)pc * p.Lda + ic + i0;
                for (int q = 0; q < kc; q++, src += p.Lda)
                {
                    float* d = dst + (nint)q * mr;
                    int i = 0;
                    for (; i < rows; i++) d[i] = src[i];
                    for (; i < mr; i++) d[i] = 0;
                }
            }
            else
            {
                // Stored m×k: each row is contiguous along p; write it down the panel with stride MR.
                for (int i = 0; i < mr; i++)
                {
                    float* d = dst + i;
                    if (i < rows)
                    {
                        float* src = p.A + (nint)(ic + i0 + i) * p.Lda + pc;
                        for (int q = 0; q < kc; q++) d[(nint)q * mr] = src[q];
                    }
                    else
                    {
                        for (int q = 0; q < kc; q++) d[(nint)q * mr] = 0;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs the block op(B)[pc : pc+kc, jc : jc+nc] into NR-wide panels: panel s holds, for every p,
    /// the NR values op(B)[pc + p, jc + s·NR + j] contiguously (the micro-kernel loads them as vectors).
    /// Columns past the edge are zero.
    /// </summary>
    private static void PackB(in Problem p, int pc, int jc, int kc, int nc, int nr, float* dst)
    {
        for (int j0 = 0; j0 < nc; j0 += nr, dst += (nint)nr * kc)
        {
            int cols = Math.Min(nr, nc - j0);
            if (!p.TransB)
            {
                // Stored k×n: the NR values of one p are adjacent in memory.
                float* src = p.B + (nint)pc * p.Ldb + jc + j0;
                for (int q = 0; q < kc; q++, src += p.Ldb)
                {
                    float* d = dst + (nint)q * nr;
                    new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(d, cols));
                    if (cols < nr) new Span<float>(d + cols, nr - cols).Clear();
                }
            }
            else
            {
                // Stored n×k: each column of op(B) is a contiguous row; write it down the panel with stride NR.
                for (int j = 0; j < nr; j++)
                {
                    float* d = dst + j;
                    if (j < cols)
                    {
                        float* src = p.B + (nint)(jc + j0 + j) * p.Ldb + pc;
                        for (int q = 0; q < kc; q++) d[(nint)q * nr] = src[q];
                    }
                    else
                    {
                        for (int q = 0; q < kc; q++) d[(nint)q * nr] = 0;
                    }
                }
            }
        }
    }
}

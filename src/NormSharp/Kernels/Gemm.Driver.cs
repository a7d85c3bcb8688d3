namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    // Cache blocking, after BLIS's Zen 4 configuration (KC = 480, MC = 512, NC = 6144 for its 32×12 kernel,
    // whose roles of A and B are ours swapped: row-major C). The MR×KC micro-panel of A (≤ 18 KiB) stays in
    // the 32 KiB L1 while the micro-kernel sweeps the NR-wide panels of the KC×NC block of B (≤ 768 KiB),
    // which stays in the 1 MiB L2; the MC×KC block of A comes from L3 once per B block. K is cut into equal
    // blocks of at most BlockK (784 → 3 × 262, not 384 + 384 + 16): every block costs a pass over C, so none
    // should be short. MC and NC are multiples of every kernel's MR (12, 6, 4) and NR (32, 16, 4).
    private const int BlockK = 384;
    private const int BlockM = 288;
    private const int BlockN = 512;
    private const int MaxTile = 12 * 32;

    /// <summary>The arguments of one call, carried to every chunk (raw pointers: the memory is pinned by the caller).</summary>
    private readonly struct Problem(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        public readonly bool TransA = transA, TransB = transB;
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly float* A = a, B = b, C = c;
    }

    /// <summary>
    /// Computes rows [m0, m1) × columns [n0, n1) of C with micro-kernel <typeparamref name="TKernel"/>:
    /// the five loops around the micro-kernel (BLIS's jc, pc, ic, ir, jr). The first K block applies β;
    /// later ones accumulate (β = 1). K blocks depend on k alone, so every C element sees the same
    /// operations whatever the slice.
    /// </summary>
    private static void ComputeSlice<TKernel>(in Problem p, int m0, int m1, int n0, int n1, Workspace ws)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        float* packedA = ws.PackedA, packedB = ws.PackedB, tile = ws.Tile;
        int kBlocks = (p.K + BlockK - 1) / BlockK;
        for (int jc = n0; jc < n1; jc += BlockN)
        {
            int nc = Math.Min(BlockN, n1 - jc);
            for (int block = 0; block < kBlocks; block++)
            {
                int pc = (int)((long)p.K * block / kBlocks);
                int kc = (int)((long)p.K * (block + 1) / kBlocks) - pc;
                float beta = block == 0 ? p.Beta : 1f;
                PackB<TKernel>(p, pc, jc, kc, nc, packedB);
                for (int ic = m0; ic < m1; ic += BlockM)
                {
                    int mc = Math.Min(BlockM, m1 - ic);
                    PackA(p, ic, pc, mc, kc, mr, packedA);
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        float* panelA = packedA + (nint)ir * kc;
                        float* cRow = p.C + (nint)(ic + ir) * p.Ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            float* panelB = packedB + (nint)jr * kc;
                            bool narrow = PanelWidth<TKernel>(cols) != nr;
                            if (rows == mr && cols == nr)
                                TKernel.Tile(kc, panelA, panelB, cRow + jr, p.Ldc, p.Alpha, beta);
                            else if (rows == mr && narrow && cols == TKernel.NarrowNr)
                                TKernel.NarrowTile(kc, panelA, panelB, cRow + jr, p.Ldc, p.Alpha, beta);
                            else
                                EdgeTile<TKernel>(kc, panelA, panelB, cRow + jr, p.Ldc, rows, cols, narrow, p.Alpha, beta, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Width of the B panel holding the last <paramref name="cols"/> (≤ NR) columns of a block:
    /// NarrowNr when they fit, else NR.</summary>
    private static int PanelWidth<TKernel>(int cols) where TKernel : struct, IMicroKernel
        => cols <= TKernel.NarrowNr ? TKernel.NarrowNr : TKernel.Nr;

    /// <summary>
    /// A partial tile at the bottom or right edge of C: the kernel computes the full tile into
    /// <paramref name="tile"/> (the packed panels are zero-padded), then the valid part is copied back.
    /// The same kernel and epilogue run as for full tiles, so edge elements are bit-identical to what a
    /// full tile would give.
    /// </summary>
    private static void EdgeTile<TKernel>(int kc, float* panelA, float* panelB, float* c, int ldc,
        int rows, int cols, bool narrow, float alpha, float beta, float* tile) where TKernel : struct, IMicroKernel
    {
        int width = narrow ? TKernel.NarrowNr : TKernel.Nr;
        if (beta != 0)
            for (int i = 0; i < rows; i++)
                new ReadOnlySpan<float>(c + (nint)i * ldc, cols).CopyTo(new Span<float>(tile + i * width, cols));
        if (narrow) TKernel.NarrowTile(kc, panelA, panelB, tile, width, alpha, beta);
        else TKernel.Tile(kc, panelA, panelB, tile, width, alpha, beta);
        for (int i = 0; i < rows; i++)
            new ReadOnlySpan<float>(tile + i * width, cols).CopyTo(new Span<float>(c + (nint)i * ldc, cols));
    }
}

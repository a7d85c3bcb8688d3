namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    // Cache blocking (Goto & van de Geijn 2008; BLIS zen4 uses KC = 480, MC = 512, NC = 6144 for its 32×12
    // kernel). KC·NR floats of B (32 KiB at NR = 32) and MR·KC of A (12 KiB) are what one micro-kernel call
    // streams; the packed MC×KC block of A (144 KiB) stays in the 1 MiB L2 while every B panel of the block
    // passes over it; the KC×NC block of B (1 MiB) lives in L2/L3. MC and NC are multiples of every kernel's
    // MR (12, 6, 4) and NR (32, 16, 4).
    private const int BlockK = 256;
    private const int BlockM = 144;
    private const int BlockN = 1024;
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
    /// the five loops around the micro-kernel (BLIS's jc, pc, ic, jr, ir). The first KC block applies β;
    /// later ones accumulate (β = 1), so every C element sees the same operations whatever the slice.
    /// </summary>
    private static void ComputeSlice<TKernel>(in Problem p, int m0, int m1, int n0, int n1, Workspace ws)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        float* packedA = ws.PackedA, packedB = ws.PackedB, tile = ws.Tile;
        for (int jc = n0; jc < n1; jc += BlockN)
        {
            int nc = Math.Min(BlockN, n1 - jc);
            for (int pc = 0; pc < p.K; pc += BlockK)
            {
                int kc = Math.Min(BlockK, p.K - pc);
                float beta = pc == 0 ? p.Beta : 1f;
                PackB(p, pc, jc, kc, nc, nr, packedB);
                for (int ic = m0; ic < m1; ic += BlockM)
                {
                    int mc = Math.Min(BlockM, m1 - ic);
                    PackA(p, ic, pc, mc, kc, mr, packedA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* panelB = packedB + (nint)jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            float* panelA = packedA + (nint)ir * kc;
                            float* c = p.C + (nint)(ic + ir) * p.Ldc + jc + jr;
                            if (rows == mr && cols == nr)
                                TKernel.Tile(kc, panelA, panelB, c, p.Ldc, p.Alpha, beta);
                            else
                                EdgeTile<TKernel>(kc, panelA, panelB, c, p.Ldc, rows, cols, p.Alpha, beta, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// A partial tile at the bottom or right edge of C: the kernel computes the full MR×NR tile into
    /// <paramref name="tile"/> (the packed panels are zero-padded), then the valid part is copied back.
    /// The same kernel and epilogue run as for full tiles, so edge elements are bit-identical to what a
    /// full tile would give.
    /// </summary>
    private static void EdgeTile<TKernel>(int kc, float* panelA, float* panelB, float* c, int ldc,
        int rows, int cols, float alpha, float beta, float* tile) where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Nr;
        if (beta != 0)
            for (int i = 0; i < rows; i++)
                new ReadOnlySpan<float>(c + (nint)i * ldc, cols).CopyTo(new Span<float>(tile + i * nr, cols));
        TKernel.Tile(kc, panelA, panelB, tile, nr, alpha, beta);
        for (int i = 0; i < rows; i++)
            new ReadOnlySpan<float>(tile + i * nr, cols).CopyTo(new Span<float>(c + (nint)i * ldc, cols));
    }
}

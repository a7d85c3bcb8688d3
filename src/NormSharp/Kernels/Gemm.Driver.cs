namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    // Cache blocking, after BLIS's Zen 4 configuration (KC = 480, MC = 512, NC = 6144 for its 32×12 kernel,
    // whose roles of A and B are ours swapped: row-major C). The micro-kernel sweeps the NR-wide panels of the KC×NC
    // block of B (≤ 832 KiB), which stays in the 1 MiB L2, with one MR×KC micro-panel of A; the MC×KC block of A
    // (≤ 432 KiB when packed) comes from L3 once per B block. Every K block costs a pass over C, so a K up to
    // OneBlockK is one block and NC shrinks to keep KC×NC in L2 (BlockNFor); longer K is cut into equal blocks of
    // about BlockK. MC and NC are multiples of every kernel's MR (12, 6, 4) and NR (32, 16, 4).
    private const int BlockK = 384;
    private const int OneBlockK = 1024;
    private const int BlockBBytes = 832 * 1024;
    private const int BlockM = 288;
    private const int BlockN = 512;
    private const int BlockABytes = BlockM * BlockK * sizeof(float);
    private const int MaxTile = 12 * 32;
    private const int MaxNr = 32;

    /// <summary>The arguments of one call, carried to every chunk (raw pointers: the memory is pinned by the caller).</summary>
    private readonly struct Problem(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, float* bias, bool relu,
        float* prepackedB = null, int panels = 0)
    {
        public readonly bool TransA = transA, TransB = transB, Relu = relu;
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly float* A = a, B = b, C = c;

        /// <summary>Per column of C, added by the first K block (null: none).</summary>
        public readonly float* Bias = bias;

        /// <summary>B already in panels (<see cref="GemmPackedB"/>; null: pack per call) and its panels per K block.</summary>
        public readonly float* PrepackedB = prepackedB;
        public readonly int Panels = panels;
    }

    /// <summary>
    /// Computes rows [m0, m1) × columns [n0, n1) of C with micro-kernel <typeparamref name="TKernel"/>:
    /// the five loops around the micro-kernel (BLIS's jc, pc, ic, ir, jr). The first K block applies β;
    /// later ones accumulate (β = 1). K blocks depend on k alone, so every C element sees the same
    /// operations whatever the slice. The epilogue's bias joins the first K block's store (c = α·acc + β·c + bias)
    /// and its ReLU the last block's, so C is written once per block and never revisited by a separate pass.
    /// </summary>
    private static void ComputeSlice<TKernel>(in Problem p, int m0, int m1, int n0, int n1, Workspace ws)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        float* packedA = ws.PackedA, packedB = ws.PackedB, tile = ws.Tile;
        int kBlocks = KBlocks(p.K);
        int kcMax = (p.K + kBlocks - 1) / kBlocks;
        int blockN = BlockNFor(kcMax), blockM = BlockMFor(kcMax);
        for (int jc = n0; jc < n1; jc += blockN)
        {
            int nc = Math.Min(blockN, n1 - jc);
            for (int block = 0; block < kBlocks; block++)
            {
                var (pc, kc) = KBlock(p.K, kBlocks, block);
                float beta = block == 0 ? p.Beta : 1f;
                float* bias = block == 0 ? p.Bias : null;
                bool relu = p.Relu && block == kBlocks - 1;
                // A prepacked B holds every block's panels: block pc starts at pc·panels·NR, panel jc/NR of it at jc·kc.
                float* blockB = p.PrepackedB != null ? p.PrepackedB + (nint)pc * p.Panels * nr + (nint)jc * kc : packedB;
                if (p.PrepackedB == null) PackB<TKernel>(p, pc, jc, kc, nc, packedB);
                for (int ic = m0; ic < m1; ic += blockM)
                {
                    int mc = Math.Min(blockM, m1 - ic);
                    // An untransposed A is read in place by full-height panels (its rows are contiguous along p, the
                    // panel's rows lda apart, as MLAS's kernels read it): packing it cost ~4% of a 500×784×500
                    // product and every thread of an N split packed all of it. Only a last panel shorter than MR is
                    // packed (zero rows), so the kernel never reads past the matrix. Strides that crowd the rows into a
                    // few L1 sets are packed as before (ReadsAInPlace).
                    int fullRows = ReadsAInPlace(p) ? mc / mr * mr : 0;
                    if (fullRows < mc) PackA(p, ic + fullRows, pc, mc - fullRows, kc, mr, packedA);
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        bool inPlace = ir < fullRows;
                        float* panelA = inPlace ? p.A + (nint)(ic + ir) * p.Lda + pc : packedA + (nint)(ir - fullRows) * kc;
                        nint rs = inPlace ? p.Lda : 1, ss = inPlace ? 1 : mr;
                        float* cRow = p.C + (nint)(ic + ir) * p.Ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            float* panelB = blockB + (nint)jr * kc;
                            int width = TKernel.PanelWidth(cols);
                            float* tileBias = bias == null ? null : bias + jc + jr;
                            if (rows == mr && cols == nr)
                                TKernel.Tile(kc, panelA, rs, ss, panelB, cRow + jr, p.Ldc, p.Alpha, beta, tileBias, relu);
                            else if (rows == mr && cols == width)
                                TKernel.NarrowTile(width, kc, panelA, rs, ss, panelB, cRow + jr, p.Ldc, p.Alpha, beta, tileBias, relu);
                            else
                                EdgeTile<TKernel>(kc, panelA, rs, ss, panelB, cRow + jr, p.Ldc, rows, cols, width, p.Alpha, beta, tileBias, relu, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// K blocks of a product (of its whole K, never a thread's slice, so that every C element sees the same blocks
    /// whatever the thread count; a prepacked B is packed in the same blocks): one up to <see cref="OneBlockK"/>, else
    /// equal blocks of at most <see cref="BlockK"/>. One pass over C instead of two for the MLP's 784 → 500 products:
    /// measured with the old rule (two blocks of 392 at NC = 512) toggled in one build, the folded MLP's inference at
    /// batch 500 took 7.51 against 7.54 ms (1 thread) and 3.71 against 3.76 ms (2 threads; minima of 37–57 alternating
    /// runs, its 784 → 500 product 3,545 against 3,620 µs), the training products 500×500×784 (x·Wᵀ), 500×784×500 (dy·W)
    /// and the weight gradient 1–4% faster at 1 and 2 threads; 256³ and 2048³ are unchanged (the same blocks), 1024³
    /// (one block of 1024 at NC = 192 instead of three) within noise.
    /// </summary>
    private static int KBlocks(int k) => k <= OneBlockK ? 1 : (k + BlockK - 1) / BlockK;

    /// <summary>First row pc and length kc of K block <paramref name="block"/> of <paramref name="kBlocks"/> equal blocks:
    /// the one cut of K that the driver and the packing of a prepacked B share.</summary>
    private static (int Pc, int Kc) KBlock(int k, int kBlocks, int block)
    {
        int pc = (int)((long)k * block / kBlocks);
        return (pc, (int)((long)k * (block + 1) / kBlocks) - pc);
    }

    /// <summary>NC for K blocks of <paramref name="kc"/>: the widest multiple of 32 columns, up to <see cref="BlockN"/>,
    /// whose KC×NC block of B fits <see cref="BlockBBytes"/> (784 → 256, 1024 → 192).</summary>
    private static int BlockNFor(int kc) => Math.Clamp(BlockBBytes / (sizeof(float) * kc) / MaxNr * MaxNr, MaxNr, BlockN);

    /// <summary>MC for K blocks of <paramref name="kc"/>: <see cref="BlockM"/> rows up to KC = <see cref="BlockK"/>, fewer
    /// (a multiple of 12) beyond, so a packed MC×KC block of A stays within <see cref="BlockABytes"/>.</summary>
    private static int BlockMFor(int kc) => Math.Clamp(BlockABytes / (sizeof(float) * kc) / 12 * 12, 12, BlockM);

    /// <summary>Whether full MR-row panels of A are read where they lie: A untransposed and lda not a multiple of 256
    /// floats. Rows 1 KiB·j apart start in at most 64/16 = 4 of the L1's 64 sets, so the twelve rows' lines pile into
    /// the same sets of the 8-way L1 (lda = 1024: one set, 12 lines per set) and are evicted by the streaming B panel.
    /// Measured at 1 thread: 500×784×500 in place 1–2% faster than packed, 1024³ 7% slower.</summary>
    private static bool ReadsAInPlace(in Problem p) => !p.TransA && p.Lda % 256 != 0;

    /// <summary>
    /// A partial tile at the bottom or right edge of C: the kernel computes the full tile into
    /// <paramref name="tile"/> (the packed panels are zero-padded), then the valid part is copied back.
    /// The same kernel and epilogue run as for full tiles, so edge elements are bit-identical to what a
    /// full tile would give. The bias is copied zero-padded to the tile's width (the kernel reads a whole panel's).
    /// </summary>
    private static void EdgeTile<TKernel>(int kc, float* panelA, nint rs, nint ss, float* panelB, float* c, int ldc,
        int rows, int cols, int width, float alpha, float beta, float* bias, bool relu, float* tile) where TKernel : struct, IMicroKernel
    {
        if (beta != 0)
            for (int i = 0; i < rows; i++)
                new ReadOnlySpan<float>(c + (nint)i * ldc, cols).CopyTo(new Span<float>(tile + i * width, cols));
        float* paddedBias = stackalloc float[MaxNr];
        if (bias != null)
        {
            new Span<float>(paddedBias, MaxNr).Clear();
            new ReadOnlySpan<float>(bias, cols).CopyTo(new Span<float>(paddedBias, cols));
            bias = paddedBias;
        }
        if (width == TKernel.Nr) TKernel.Tile(kc, panelA, rs, ss, panelB, tile, width, alpha, beta, bias, relu);
        else TKernel.NarrowTile(width, kc, panelA, rs, ss, panelB, tile, width, alpha, beta, bias, relu);
        for (int i = 0; i < rows; i++)
            new ReadOnlySpan<float>(tile + i * width, cols).CopyTo(new Span<float>(c + (nint)i * ldc, cols));
    }
}

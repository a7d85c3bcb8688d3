using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class BatchNorm
{
    /// <summary>Rows ([N, C]) whose float partial sums are folded into double at once: short enough that a
    /// float sum of this many terms keeps ~6–7 digits (the planar runs sum 32 values per lane too), long enough to
    /// amortise the fold: each fold widens 8 vectors to double, ~3 cycles per row at 16 rows. 32 rows made the
    /// [500, 500] forward and backward ~2% faster than 16 (in-process A/B, 2 threads); 64 gained nothing more.</summary>
    private const int FloatRunRows = 32;

    /// <summary>Plane values per lane-set folded into double at once (planar layout).</summary>
    private const int FloatRunValues = 512;

    /// <summary>
    /// Whether <see cref="ForwardTraining"/> and <see cref="BackwardTraining"/> apply to this shape: enough
    /// column strips ([N, C]) to share out, any planar batch (its planes are shared out), or a batch small enough for
    /// one thread.
    /// Decided by the shape alone, so a layer's numerics never depend on the thread count.
    /// </summary>
    public static bool FusedApplies(int n, int channels, int spatial)
    {
        // Planar: parties share out the planes (BatchNorm.FusedPlaneParties.cs), whatever the channel count.
        if (spatial > 1 || (long)n * channels * spatial < Grain) return true;
        return (channels + ColumnsPerChunk - 1) / ColumnsPerChunk >= 4;
    }

    /// <summary>Whether a layer's statistics and backward sums for this shape come from <see cref="TrainingStatistics"/>
    /// and <see cref="TrainingBackwardReduce"/> (float runs, exactly what the fused kernels compute) rather than the
    /// double <see cref="Statistics"/> and <see cref="BackwardReduce"/>: always for planar batches, and for [N, C]
    /// exactly where <see cref="FusedApplies"/> (too few column strips would leave threads idle).</summary>
    public static bool TrainingReductionsApply(int n, int channels, int spatial) => spatial > 1 || FusedApplies(n, channels, spatial);

    /// <summary>
    /// BN's training forward in one dispatch: per column strip ([N, C]) or channel (planar) the
    /// statistics, the fold α = γ·invstd, shift = β − μ·α with invstd = 1/√(M2/m + ε), and y = x·α + shift
    /// while the strip is still in cache. Writes the per-channel mean and M2 (as <see cref="Statistics"/>),
    /// invstd, α, shift and y. <paramref name="gamma"/>/<paramref name="beta"/> empty: 1 and 0. With an
    /// <paramref name="activation"/>, y = f(x·α + shift), applied to each strip or plane while it is still in cache (the
    /// bits of <see cref="Activations.Apply"/> over the whole result, without its pass over memory). With
    /// <paramref name="pooled"/> (planar batches of planes <paramref name="planeWidth"/> wide, height and width even), each
    /// plane of y is also averaged over 2×2 windows with stride 2 into pooled ([N, C, H/2, W/2]) while it is in L1: the bits
    /// of <see cref="Pooling.AvgForward"/> over y, without its read of y from memory (LeNet's BN → sigmoid → pool).
    /// </summary>
    /// <remarks>Same shifted-sum and block partition as <see cref="Statistics"/> (K = first value of each
    /// block, Chan's merge in block order), but the sums inside a block run in float over runs of
    /// <see cref="FloatRunRows"/> rows (or <see cref="FloatRunValues"/> values) before being added in
    /// double: M2 agrees with the double kernel to ~1e-7 relative instead of ~1e-15, and the pass runs at
    /// float SIMD width. Results depend only on the shape. The slow side is
    /// <see cref="Statistics"/> + fold + <see cref="Apply"/> (tests hold the two together).</remarks>
    public static void ForwardTraining(ReadOnlySpan<float> x, int n, int channels, int spatial,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, double eps,
        Span<double> mean, Span<double> m2, Span<double> invstd, Span<float> alpha, Span<float> shift, Span<float> y,
        FusedActivation activation = FusedActivation.None, Span<float> pooled = default, int planeWidth = 0)
    {
        CheckShape(x.Length, n, channels, spatial, nameof(x));
        CheckShape(y.Length, n, channels, spatial, nameof(y));
        if (!pooled.IsEmpty) CheckPooled(pooled.Length, n, channels, spatial, planeWidth);
        CheckAffine(gamma.Length, channels, nameof(gamma));
        CheckAffine(beta.Length, channels, nameof(beta));
        CheckChannels(mean.Length, channels, nameof(mean));
        CheckChannels(m2.Length, channels, nameof(m2));
        CheckChannels(invstd.Length, channels, nameof(invstd));
        CheckChannels(alpha.Length, channels, nameof(alpha));
        CheckChannels(shift.Length, channels, nameof(shift));
        if (channels == 0) return;
        if (n == 0)
        {
            mean[..channels].Fill(double.NaN);
            m2[..channels].Clear();
            invstd[..channels].Fill(double.NaN);
            alpha[..channels].Fill(float.NaN);
            shift[..channels].Fill(float.NaN);
            return;
        }
        fixed (float* px = x) fixed (float* py = y) fixed (float* pg = gamma) fixed (float* pb = beta)
        fixed (double* pm = mean) fixed (double* pq = m2) fixed (double* pi = invstd) fixed (float* pa = alpha) fixed (float* ps = shift)
        fixed (float* pp = pooled)
        {
            var shape = new FusedShape(n, channels, spatial);
            float* g = gamma.IsEmpty ? null : pg, bt = beta.IsEmpty ? null : pb;
            if (spatial > 1)
            {
                var pool = new PlanePool(pooled.IsEmpty ? null : pp, planeWidth);
                fixed (double* partials = Scratch(2 * channels * Blocks(shape)))
                    ParallelRunner.Together(PlaneParties(shape), new PlanePartyForwardBody(shape, px, py, g, bt, eps, pm, pq, pi, pa, ps, partials, activation, pool));
                return;
            }
            if (UseRowParties(shape))
            {
                fixed (double* partials = Scratch(2 * channels * Blocks(shape)))
                    ParallelRunner.Together(ParallelRunner.Threads, new RowPartyForwardBody(shape, px, py, g, bt, eps, pm, pq, pi, pa, ps, partials, activation));
                return;
            }
            RunFused(shape, new FusedForwardBody(shape, px, py, g, bt, eps, pm, pq, pi, pa, ps, activation));
        }
    }

    /// <summary>
    /// BN's training backward in one dispatch: per strip or channel Σdy and Σ(x − mean)·dy (as
    /// <see cref="BackwardReduce"/>), the coefficients b = −kk·α, k = (−Σdy/m + mean·kk)·α with
    /// kk = Σ(x − mean)dy·invstd²/m, and dx = dy·α + x·b + k (as <see cref="BackwardApply"/>), m = n·spatial.
    /// Writes the two sums (for dγ and dβ), b, k and dx.
    /// </summary>
    /// <remarks>Sums run in float over short runs and are added in double (see <see cref="ForwardTraining"/>).</remarks>
    public static void BackwardTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd, ReadOnlySpan<float> alpha,
        Span<double> sumDy, Span<double> sumDyXmu, Span<float> b, Span<float> k, Span<float> dx)
    {
        CheckShape(x.Length, n, channels, spatial, nameof(x));
        CheckShape(dy.Length, n, channels, spatial, nameof(dy));
        CheckShape(dx.Length, n, channels, spatial, nameof(dx));
        CheckChannels(mean.Length, channels, nameof(mean));
        CheckChannels(invstd.Length, channels, nameof(invstd));
        CheckChannels(alpha.Length, channels, nameof(alpha));
        CheckChannels(sumDy.Length, channels, nameof(sumDy));
        CheckChannels(sumDyXmu.Length, channels, nameof(sumDyXmu));
        CheckChannels(b.Length, channels, nameof(b));
        CheckChannels(k.Length, channels, nameof(k));
        if (channels == 0) return;
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pdx = dx)
        fixed (float* pm = mean) fixed (float* pi = invstd) fixed (float* pa = alpha)
        fixed (double* pg = sumDy) fixed (double* pp = sumDyXmu) fixed (float* pb = b) fixed (float* pk = k)
        {
            var shape = new FusedShape(n, channels, spatial);
            if (spatial > 1)
            {
                fixed (double* partials = Scratch(2 * channels * Blocks(shape)))
                    ParallelRunner.Together(PlaneParties(shape), new PlanePartyBackwardBody(shape, px, pdy, pdx, pm, pi, pa, pg, pp, pb, pk, partials));
                return;
            }
            if (UseRowParties(shape))
            {
                fixed (double* partials = Scratch(2 * channels * Blocks(shape)))
                    ParallelRunner.Together(ParallelRunner.Threads, new RowPartyBackwardBody(shape, px, pdy, pdx, pm, pi, pa, pg, pp, pb, pk, partials));
                return;
            }
            RunFused(shape, new FusedBackwardBody(shape, px, pdy, pdx, pm, pi, pa, pg, pp, pb, pk));
        }
    }

    /// <summary>
    /// The statistics half of <see cref="ForwardTraining"/> alone (same chunks, same float runs, bit for bit
    /// the mean and M2 it computes): for layers with a hook between statistics and apply (SyncBN, Batch
    /// Renorm, precise-BN collection), so that they agree exactly with plain BN on the same shape.
    /// </summary>
    public static void TrainingStatistics(ReadOnlySpan<float> x, int n, int channels, int spatial, Span<double> mean, Span<double> m2)
    {
        if (!BeginStatistics(x, n, channels, spatial, mean, m2)) return;
        if (spatial > 1)
        {
            PlaneBlocks(x, default, default, n, channels, spatial, mean, m2);
            return;
        }
        fixed (float* px = x) fixed (double* pm = mean) fixed (double* pq = m2)
        {
            var shape = new FusedShape(n, channels, spatial);
            RunFused(shape, new TrainingReduceBody(shape, px, null, null, pm, pq));
        }
    }

    /// <summary>The reduction half of <see cref="BackwardTraining"/> alone (bit for bit its Σdy and
    /// Σ(x − mean)·dy), for layers that synchronise the sums before dx.</summary>
    public static void TrainingBackwardReduce(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> mean, Span<double> sumDy, Span<double> sumDyXmu)
    {
        if (!BeginBackwardReduce(x, dy, n, channels, spatial, mean, sumDy, sumDyXmu)) return;
        if (spatial > 1)
        {
            PlaneBlocks(x, dy, mean, n, channels, spatial, sumDy, sumDyXmu);
            return;
        }
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pm = mean) fixed (double* pg = sumDy) fixed (double* pp = sumDyXmu)
        {
            var shape = new FusedShape(n, channels, spatial);
            RunFused(shape, new TrainingReduceBody(shape, px, pdy, pm, pg, pp));
        }
    }

    /// <summary>The planar reductions split over (channel, block of planes) chunks, for parallelism whatever the
    /// channel count; the block partials combine in block order exactly as the per-channel loops of the fused
    /// kernels combine them (Chan's merge for statistics, a sum from zero for the backward sums).</summary>
    private static void PlaneBlocks(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, int n, int channels, int spatial,
        Span<double> first, Span<double> second)
    {
        bool statistics = dy.IsEmpty;
        int blockRows = BlockRows(n, channels, spatial), blocks = (n + blockRows - 1) / blockRows;
        double[] scratch = Scratch(2 * blocks * channels);
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pm = mean) fixed (double* ps = scratch)
        fixed (double* pf = first) fixed (double* pq = second)
        {
            var body = new PlaneBlocksBody(px, statistics ? null : pdy, pm, ps, n, channels, spatial, blockRows);
            RunFused(channels * blocks, body, (long)n * channels * spatial);
            MergePlaneBlocks(ps, statistics, n, channels, spatial, blockRows, 0, channels, pf, pq);
        }
    }

    /// <summary>Combines the per-block partials of channels [c0, c1) in block order: Chan's merge of (block mean, block M2)
    /// for statistics (M2 clamped at 0), a sum from zero for the backward sums. The partials lie as block b's first values
    /// at [b·channels + c], its second at [(blocks + b)·channels + c].</summary>
    private static void MergePlaneBlocks(double* partials, bool statistics, int n, int channels, int spatial, int blockRows, int c0, int c1,
        double* first, double* second)
    {
        int blocks = (n + blockRows - 1) / blockRows;
        for (int c = c0; c < c1; c++)
        {
            double a = 0, b = 0, count = 0;
            for (int block = 0; block < blocks; block++)
            {
                double pa = partials[(long)block * channels + c], pb = partials[(long)(blocks + block) * channels + c];
                if (statistics) ChanMerge(ref a, ref b, ref count, pa, pb, (double)(Math.Min(n, (block + 1) * blockRows) - block * blockRows) * spatial);
                else { a += pa; b += pb; }
            }
            first[c] = a;
            second[c] = statistics ? Math.Max(0, b) : b;
        }
    }

    private readonly struct PlaneBlocksBody(float* x, float* dy, float* mean, double* scratch, int n, int channels, int spatial, int blockRows) : IChunkBody
    {
        public void Execute(int chunk)
        {
            int blocks = (n + blockRows - 1) / blockRows, channel = chunk / blocks, block = chunk % blocks;
            int r0 = block * blockRows, r1 = Math.Min(n, r0 + blockRows);
            double* first = scratch + block * channels + channel, second = scratch + (blocks + block) * channels + channel;
            if (dy == null) PlaneBlockStatistics(x, channels, spatial, channel, r0, r1, out *first, out *second);
            else PlaneBlockBackwardSums(x, dy, mean[channel], channels, spatial, channel, r0, r1, out *first, out *second);
        }
    }

    /// <summary>Statistics (dy null) or backward sums of one strip ([N, C] layout), with the fused kernels' loops.</summary>
    private readonly struct TrainingReduceBody : IChunkBody
    {
        private readonly float* _x, _dy, _mean;
        private readonly double* _first, _second;
        private readonly FusedShape _shape;

        public TrainingReduceBody(in FusedShape shape, float* x, float* dy, float* mean, double* first, double* second)
        {
            _x = x; _dy = dy; _mean = mean; _first = first; _second = second;
            _shape = shape;
        }

        public void Execute(int chunk)
        {
            var (first, end) = _shape.StripsOf(chunk);
            for (int strip = first; strip < end; strip++)
            {
                var (c0, c1) = _shape.Strip(strip);
                if (_dy == null) FusedRowStatistics(_x, _shape.N, _shape.Channels, _shape.BlockRows, c0, c1, _first, _second);
                else FusedRowBackwardReduce(_x, _dy, _mean, _shape.N, _shape.Channels, _shape.BlockRows, c0, c1, _first, _second);
            }
        }
    }

    /// <summary>pooled must hold [N, C, H/2, W/2] for planes of <paramref name="planeWidth"/> columns, H and W even.</summary>
    private static void CheckPooled(int length, int n, int channels, int spatial, int planeWidth)
    {
        if (spatial < 4 || planeWidth < 2 || spatial % planeWidth != 0 || planeWidth % 2 != 0 || spatial / planeWidth % 2 != 0)
            throw new ArgumentException($"pooled: 2×2 pooling needs planes of even height and width, not {spatial} values in rows of {planeWidth}", "pooled");
        if ((long)n * channels * (spatial / 4) != length)
            throw new ArgumentException($"pooled holds {length} values, not [{n}, {channels}, {spatial / planeWidth / 2}, {planeWidth / 2}]", "pooled");
    }

    private static void CheckAffine(int length, int channels, string name)
    {
        if (length != 0 && length < channels) throw new ArgumentException($"{name} holds {length} values for {channels} channels (empty: no affine)", name);
    }

    /// <summary>The partition every fused [N, C] or planar body works on, decided by the shape alone: the reduction
    /// blocks, the chunks (<see cref="FusedChunks"/>) and each chunk's column strips.</summary>
    private readonly struct FusedShape(int n, int channels, int spatial)
    {
        public readonly int N = n, Channels = channels, Spatial = spatial;
        public readonly int BlockRows = BatchNorm.BlockRows(n, channels, spatial);
        public readonly int Chunks = FusedChunks(n, channels, spatial);

        public long Elements => (long)N * Channels * Spatial;

        /// <summary>Strips [first, end) of chunk <paramref name="chunk"/> ([N, C] layout).</summary>
        public (int First, int End) StripsOf(int chunk) => BatchNorm.StripsOf(chunk, Chunks, N, Channels);

        /// <summary>Columns [c0, c1) of strip <paramref name="strip"/>.</summary>
        public (int C0, int C1) Strip(int strip) => BatchNorm.Strip(strip, N, Channels);
    }

    private static void RunFused<TBody>(in FusedShape shape, in TBody body) where TBody : struct, IChunkBody
        => RunFused(shape.Chunks, body, shape.Elements);

    /// <summary>Small batches run on the calling thread (the chunks are the same, so is the result).</summary>
    private static void RunFused<TBody>(int chunks, in TBody body, long elements) where TBody : struct, IChunkBody
    {
        if (elements < Grain)
            for (int i = 0; i < chunks; i++) body.Execute(i);
        else ParallelRunner.For(chunks, body);
    }

    /// <summary>Columns [c0, c1) of strip <paramref name="strip"/> of the fused [N, C] kernels: 64-column strips,
    /// or one strip of all columns for a batch small enough for one thread.</summary>
    private static (int C0, int C1) Strip(int strip, int n, int channels)
    {
        if (StripCount(n, channels) == 1) return (0, channels);
        int c0 = strip * ColumnsPerChunk;
        return (c0, Math.Min(channels, c0 + ColumnsPerChunk));
    }

    private static int StripCount(int n, int channels) =>
        (long)n * channels < Grain ? 1 : (channels + ColumnsPerChunk - 1) / ColumnsPerChunk;

    /// <summary>Chunks of the fused [N, C] kernels (planar batches run as parties instead): one contiguous run of strips
    /// per thread. Strips dealt out one by one put neighbouring strips on different threads, and rows of 500 floats do
    /// not end on cache-line borders, so every strip border was a cache line written by both cores (the 2-thread
    /// [500, 500] forward ran slower than the 1-thread one). Each strip's arithmetic is the same whichever chunk
    /// holds it, so results do not depend on the thread count.</summary>
    private static int FusedChunks(int n, int channels, int spatial) =>
        spatial > 1 ? 1 : Math.Min(StripCount(n, channels), ParallelRunner.Threads);

    /// <summary>Strips [first, end) of chunk <paramref name="chunk"/> of <paramref name="chunks"/> ([N, C] layout).</summary>
    private static (int First, int End) StripsOf(int chunk, int chunks, int n, int channels)
    {
        int strips = StripCount(n, channels);
        return ((int)((long)strips * chunk / chunks), (int)((long)strips * (chunk + 1) / chunks));
    }

    private readonly struct FusedForwardBody : IChunkBody
    {
        private readonly float* _x, _y, _gamma, _beta, _alpha, _shift;
        private readonly double* _mean, _m2, _invstd;
        private readonly double _eps;
        private readonly FusedShape _shape;
        private readonly FusedActivation _activation;

        public FusedForwardBody(in FusedShape shape, float* x, float* y, float* gamma, float* beta, double eps, double* mean, double* m2,
            double* invstd, float* alpha, float* shift, FusedActivation activation)
        {
            _x = x; _y = y; _gamma = gamma; _beta = beta; _eps = eps; _mean = mean; _m2 = m2; _invstd = invstd; _alpha = alpha; _shift = shift;
            _shape = shape;
            _activation = activation;
        }

        public void Execute(int chunk)
        {
            if (_activation == FusedActivation.Relu) Execute(chunk, new Activations.ReluOp());
            else if (_activation == FusedActivation.Sigmoid) Execute(chunk, new Activations.SigmoidOp());
            else Execute(chunk, default(NoActivation));
        }

        /// <summary>Each strip's statistics and fold, then its apply while it is in cache, or (<see cref="AppliesByRows"/>)
        /// the whole chunk's apply row by row after the last strip.</summary>
        private void Execute<TAct>(int chunk, TAct activation) where TAct : struct, VectorBlock.IMap, VectorBlock.IMap256
        {
            var (first, end) = _shape.StripsOf(chunk);
            bool byRows = AppliesByRows(_shape.Channels);
            for (int strip = first; strip < end; strip++)
            {
                var (c0, c1) = _shape.Strip(strip);
                FusedRowStatistics(_x, _shape.N, _shape.Channels, _shape.BlockRows, c0, c1, _mean, _m2);
                Fold(c0, c1);
                if (!byRows) ApplyStrip(c0, c1, activation);
            }
            if (byRows && end > first)
                RowAffine(_x, null, _y, _shape.N, _shape.Channels, _shape.Strip(first).C0, _shape.Strip(end - 1).C1, _alpha, null, _shift, activation);
        }

        /// <summary>y = f(x·α + shift) over columns [c0, c1): the activation on each result vector before its store
        /// (AVX-512 or AVX2 strips), or after the plain loops over the strip's rows, still in L2 (64 columns of 500 rows are 128 KB).</summary>
        private void ApplyStrip<TAct>(int c0, int c1, TAct activation) where TAct : struct, VectorBlock.IMap, VectorBlock.IMap256
        {
            if (TryStripAffine(_x, null, _y, _shape.N, _shape.Channels, c0, c1, _alpha, null, _shift, activation)) return;
            FusedRowAffine(_x, null, _y, _shape.N, _shape.Channels, c0, c1, _alpha, null, _shift);
            if (_activation == FusedActivation.None) return;
            for (long r = 0, offset = c0; r < _shape.N; r++, offset += _shape.Channels)
                Activations.InPlace(_activation, _y + offset, c1 - c0);
        }

        private void Fold(int c0, int c1) =>
            FoldForward(c0, c1, (double)_shape.N * _shape.Spatial, _eps, _gamma, _beta, _mean, _m2, _invstd, _alpha, _shift);
    }

    /// <summary>The layer's fold for plain BN, columns [c0, c1): invstd = 1/√(M2/m + ε), α = γ·invstd,
    /// shift = β − μ·α, in double (four lanes at a time: the same correctly rounded operations).</summary>
    private static void FoldForward(int c0, int c1, double count, double eps, float* gamma, float* beta, double* mean, double* m2,
        double* invstdOut, float* alphaOut, float* shiftOut)
    {
        int c = c0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> one = Vector256.Create(1.0), zero = default, countV = Vector256.Create(count), epsV = Vector256.Create(eps);
            for (; c <= c1 - Vector256<double>.Count; c += Vector256<double>.Count)
            {
                var invstd = one / Vector256.Sqrt(Vector256.Load(m2 + c) / countV + epsV);
                var a = (gamma == null ? one : WidenFour(gamma + c)) * invstd;
                var shift = (beta == null ? zero : WidenFour(beta + c)) - Vector256.Load(mean + c) * a;
                invstd.Store(invstdOut + c);
                NarrowFour(a).Store(alphaOut + c);
                NarrowFour(shift).Store(shiftOut + c);
            }
        }
        for (; c < c1; c++)
        {
            double invstd = 1.0 / Math.Sqrt(m2[c] / count + eps);
            double g = gamma == null ? 1.0 : gamma[c], a = g * invstd;
            invstdOut[c] = invstd;
            alphaOut[c] = (float)a;
            shiftOut[c] = (float)((beta == null ? 0.0 : beta[c]) - mean[c] * a);
        }
    }

    private readonly struct FusedBackwardBody : IChunkBody
    {
        private readonly float* _x, _dy, _dx, _mean, _invstd, _alpha, _b, _k;
        private readonly double* _sumDy, _sumDyXmu;
        private readonly FusedShape _shape;

        public FusedBackwardBody(in FusedShape shape, float* x, float* dy, float* dx, float* mean, float* invstd, float* alpha,
            double* sumDy, double* sumDyXmu, float* b, float* k)
        {
            _x = x; _dy = dy; _dx = dx; _mean = mean; _invstd = invstd; _alpha = alpha;
            _sumDy = sumDy; _sumDyXmu = sumDyXmu; _b = b; _k = k;
            _shape = shape;
        }

        public void Execute(int chunk)
        {
            // Each strip's sums, coefficients and apply while it is in cache, or (AppliesByRows) the chunk's apply row by
            // row after the last strip.
            var (first, end) = _shape.StripsOf(chunk);
            bool byRows = AppliesByRows(_shape.Channels);
            for (int strip = first; strip < end; strip++)
            {
                var (c0, c1) = _shape.Strip(strip);
                FusedRowBackwardReduce(_x, _dy, _mean, _shape.N, _shape.Channels, _shape.BlockRows, c0, c1, _sumDy, _sumDyXmu);
                Coefficients(c0, c1);
                if (!byRows) FusedRowAffine(_dy, _x, _dx, _shape.N, _shape.Channels, c0, c1, _alpha, _b, _k);
            }
            if (byRows && end > first)
                RowAffine(_dy, _x, _dx, _shape.N, _shape.Channels, _shape.Strip(first).C0, _shape.Strip(end - 1).C1, _alpha, _b, _k, default(NoActivation));
        }

        private void Coefficients(int c0, int c1) =>
            BackwardCoefficients(c0, c1, (double)_shape.N * _shape.Spatial, _mean, _invstd, _alpha, _sumDy, _sumDyXmu, _b, _k);
    }

    /// <summary>The layer's backward fold, columns [c0, c1): kk = Σ(x − μ)dy·invstd²/m, b = −kk·α,
    /// k = (−Σdy/m + μ·kk)·α, in double (four lanes at a time, the same operations).</summary>
    private static void BackwardCoefficients(int c0, int c1, double count, float* mean, float* invstd, float* alpha,
        double* sumDy, double* sumDyXmu, float* bOut, float* kOut)
    {
        int c = c0;
        if (Vector256.IsHardwareAccelerated)
        {
            var countV = Vector256.Create(count);
            for (; c <= c1 - Vector256<double>.Count; c += Vector256<double>.Count)
            {
                Vector256<double> s = WidenFour(invstd + c), a = WidenFour(alpha + c);
                var kk = Vector256.Load(sumDyXmu + c) * s * s / countV;
                var b = -kk * a;
                var k = (-Vector256.Load(sumDy + c) / countV + WidenFour(mean + c) * kk) * a;
                NarrowFour(b).Store(bOut + c);
                NarrowFour(k).Store(kOut + c);
            }
        }
        for (; c < c1; c++)
        {
            double s = invstd[c], a = alpha[c];
            double kk = sumDyXmu[c] * s * s / count;
            bOut[c] = (float)(-kk * a);
            kOut[c] = (float)((-sumDy[c] / count + mean[c] * kk) * a);
        }
    }

    /// <summary>Four floats at <paramref name="p"/> as doubles.</summary>
    private static Vector256<double> WidenFour(float* p) => Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe());

    /// <summary>The four lanes of <paramref name="v"/> rounded to float (to nearest).</summary>
    private static Vector128<float> NarrowFour(Vector256<double> v) => Vector256.Narrow(v, v).GetLower();
}

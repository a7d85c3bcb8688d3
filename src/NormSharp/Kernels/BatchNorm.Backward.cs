using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class BatchNorm
{
    /// <summary>
    /// The reduction half of BN's backward, one pass over x and dy ([n, channels, spatial]):
    /// sumDy[c] = Σ dy and sumDyXmu[c] = Σ (x − mean[c])·dy, accumulated in double.
    /// </summary>
    /// <remarks>
    /// With m = n·spatial values per channel and invstd = 1/√(σ²+ε), the paper's gradient (Ioffe and
    /// Szegedy 2015, section 3) collapses to ATen's form
    /// dx = (dy − sumDy/m − (x − mean)·sumDyXmu·invstd²/m)·invstd·γ, dγ = sumDyXmu·invstd, dβ = sumDy,
    /// which <see cref="BackwardApply"/> evaluates as dx = dy·a + x·b + k with per-channel a, b, k.
    /// </remarks>
    public static void BackwardReduce(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> mean, Span<double> sumDy, Span<double> sumDyXmu)
    {
        if (!BeginBackwardReduce(x, dy, n, channels, spatial, mean, sumDy, sumDyXmu)) return;
        int blockRows = DoubleBlockRows(n, channels, spatial);
        int blocks = (n + blockRows - 1) / blockRows;
        double[] scratch = Scratch(2 * blocks * channels);
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pm = mean)
        fixed (double* ps = scratch)
        {
            var body = new BackwardReduceBody(px, pdy, pm, ps, n, channels, spatial, blockRows);
            ParallelRunner.For(body.ChunkCount, body);
        }
        for (int b = 0; b < blocks; b++) // block order: deterministic
            for (int c = 0; c < channels; c++)
            {
                sumDy[c] += scratch[b * channels + c];
                sumDyXmu[c] += scratch[(blocks + b) * channels + c];
            }
    }

    /// <summary>The checks shared by <see cref="BackwardReduce"/> and <see cref="TrainingBackwardReduce"/>; clears
    /// both sums and returns false when there is nothing to reduce.</summary>
    private static bool BeginBackwardReduce(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> mean, Span<double> sumDy, Span<double> sumDyXmu)
    {
        CheckShape(x.Length, n, channels, spatial, nameof(x));
        CheckShape(dy.Length, n, channels, spatial, nameof(dy));
        CheckChannels(mean.Length, channels, nameof(mean));
        CheckChannels(sumDy.Length, channels, nameof(sumDy));
        CheckChannels(sumDyXmu.Length, channels, nameof(sumDyXmu));
        sumDy[..channels].Clear();
        sumDyXmu[..channels].Clear();
        return channels > 0 && n > 0;
    }

    private readonly struct BackwardReduceBody : IChunkBody
    {
        private readonly float* _x, _dy, _mean;
        private readonly double* _scratch;
        private readonly int _n, _channels, _spatial, _blockRows, _blocks, _columnChunks;

        public BackwardReduceBody(float* x, float* dy, float* mean, double* scratch, int n, int channels, int spatial, int blockRows)
        {
            _x = x; _dy = dy; _mean = mean; _scratch = scratch;
            _n = n; _channels = channels; _spatial = spatial; _blockRows = blockRows;
            _blocks = (n + blockRows - 1) / blockRows;
            bool small = (long)n * channels * spatial < Grain;
            _columnChunks = spatial == 1 && !small ? (channels + ColumnsPerChunk - 1) / ColumnsPerChunk : 1;
            ChunkCount = spatial == 1 ? _blocks * _columnChunks : _blocks * channels;
        }

        public int ChunkCount { get; }

        public void Execute(int chunk)
        {
            if (_spatial == 1)
            {
                int block = chunk / _columnChunks, group = chunk % _columnChunks;
                int c0 = _columnChunks == 1 ? 0 : group * ColumnsPerChunk;
                int c1 = _columnChunks == 1 ? _channels : Math.Min(_channels, c0 + ColumnsPerChunk);
                int r0 = block * _blockRows, r1 = Math.Min(_n, r0 + _blockRows);
                RowBackwardReduce(_x, _dy, _mean, _channels, r0, r1, c0, c1,
                    _scratch + block * _channels, _scratch + (_blocks + block) * _channels);
            }
            else
            {
                int channel = chunk / _blocks, block = chunk % _blocks;
                int r0 = block * _blockRows, r1 = Math.Min(_n, r0 + _blockRows);
                PlaneBackwardReduce(_x, _dy, _mean[channel], _channels, _spatial, channel, r0, r1,
                    out _scratch[block * _channels + channel], out _scratch[(_blocks + block) * _channels + channel]);
            }
        }
    }

    /// <summary>Columns [c0, c1) over rows [r0, r1): 16 columns (eight double accumulators) at a time.</summary>
    private static void RowBackwardReduce(float* x, float* dy, float* mean, int channels, int r0, int r1, int c0, int c1,
        double* sumDy, double* sumDyXmu)
    {
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 32 columns per sweep; per column the same operations in the same order as below (bit-identical).
            for (; c <= c1 - 2 * Vector512<float>.Count; c += 2 * Vector512<float>.Count)
            {
                var (m0, m1) = Vector512.Widen(Vector512.Load(mean + c));
                var (m2, m3) = Vector512.Widen(Vector512.Load(mean + c + 16));
                Vector512<double> g0 = default, g1 = default, g2 = default, g3 = default;
                Vector512<double> p0 = default, p1 = default, p2 = default, p3 = default;
                for (int r = r0; r < r1; r++)
                {
                    long offset = (long)r * channels + c;
                    var (d0, d1) = Vector512.Widen(Vector512.Load(dy + offset));
                    var (d2, d3) = Vector512.Widen(Vector512.Load(dy + offset + 16));
                    var (x0, x1) = Vector512.Widen(Vector512.Load(x + offset));
                    var (x2, x3) = Vector512.Widen(Vector512.Load(x + offset + 16));
                    g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                    p0 = Vector512.FusedMultiplyAdd(x0 - m0, d0, p0);
                    p1 = Vector512.FusedMultiplyAdd(x1 - m1, d1, p1);
                    p2 = Vector512.FusedMultiplyAdd(x2 - m2, d2, p2);
                    p3 = Vector512.FusedMultiplyAdd(x3 - m3, d3, p3);
                }
                g0.Store(sumDy + c); g1.Store(sumDy + c + 8); g2.Store(sumDy + c + 16); g3.Store(sumDy + c + 24);
                p0.Store(sumDyXmu + c); p1.Store(sumDyXmu + c + 8); p2.Store(sumDyXmu + c + 16); p3.Store(sumDyXmu + c + 24);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= c1 - 2 * Vector256<float>.Count; c += 2 * Vector256<float>.Count)
            {
                // Scalar math: sumDy += dy; sumDyXmu += (x − mean)·dy, in double.
                var (m0, m1) = Vector256.Widen(Vector256.Load(mean + c));
                var (m2, m3) = Vector256.Widen(Vector256.Load(mean + c + 8));
                Vector256<double> g0 = default, g1 = default, g2 = default, g3 = default;
                Vector256<double> p0 = default, p1 = default, p2 = default, p3 = default;
                for (int r = r0; r < r1; r++)
                {
                    long offset = (long)r * channels + c;
                    var (d0, d1) = Vector256.Widen(Vector256.Load(dy + offset));
                    var (d2, d3) = Vector256.Widen(Vector256.Load(dy + offset + 8));
                    var (x0, x1) = Vector256.Widen(Vector256.Load(x + offset));
                    var (x2, x3) = Vector256.Widen(Vector256.Load(x + offset + 8));
                    g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                    p0 = Vector256.FusedMultiplyAdd(x0 - m0, d0, p0);
                    p1 = Vector256.FusedMultiplyAdd(x1 - m1, d1, p1);
                    p2 = Vector256.FusedMultiplyAdd(x2 - m2, d2, p2);
                    p3 = Vector256.FusedMultiplyAdd(x3 - m3, d3, p3);
                }
                g0.Store(sumDy + c); g1.Store(sumDy + c + 4); g2.Store(sumDy + c + 8); g3.Store(sumDy + c + 12);
                p0.Store(sumDyXmu + c); p1.Store(sumDyXmu + c + 4); p2.Store(sumDyXmu + c + 8); p3.Store(sumDyXmu + c + 12);
            }
        }
        for (; c < c1; c++)
        {
            double m = mean[c], g = 0, p = 0;
            for (int r = r0; r < r1; r++)
            {
                long offset = (long)r * channels + c;
                g += dy[offset];
                p += (x[offset] - m) * dy[offset];
            }
            sumDy[c] = g;
            sumDyXmu[c] = p;
        }
    }

    /// <summary>Channel <paramref name="channel"/> over planes [r0, r1): 16 values (eight double accumulators) at a time.</summary>
    private static void PlaneBackwardReduce(float* x, float* dy, float mean, int channels, int spatial, int channel, int r0, int r1,
        out double sumDy, out double sumDyXmu)
    {
        double g = 0, p = 0, m = mean;
        var mv = Vector256.Create(m);
        for (int r = r0; r < r1; r++)
        {
            long offset = ((long)r * channels + channel) * spatial;
            float* xs = x + offset, ds = dy + offset;
            int i = 0;
            if (Vector256.IsHardwareAccelerated && spatial >= Vector256<float>.Count)
            {
                Vector256<double> g0 = default, g1 = default, g2 = default, g3 = default;
                Vector256<double> p0 = default, p1 = default, p2 = default, p3 = default;
                for (; i <= spatial - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
                {
                    var (d0, d1) = Vector256.Widen(Vector256.Load(ds + i));
                    var (d2, d3) = Vector256.Widen(Vector256.Load(ds + i + 8));
                    var (x0, x1) = Vector256.Widen(Vector256.Load(xs + i));
                    var (x2, x3) = Vector256.Widen(Vector256.Load(xs + i + 8));
                    g0 += d0; g1 += d1; g2 += d2; g3 += d3;
                    p0 = Vector256.FusedMultiplyAdd(x0 - mv, d0, p0);
                    p1 = Vector256.FusedMultiplyAdd(x1 - mv, d1, p1);
                    p2 = Vector256.FusedMultiplyAdd(x2 - mv, d2, p2);
                    p3 = Vector256.FusedMultiplyAdd(x3 - mv, d3, p3);
                }
                for (; i <= spatial - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var (d0, d1) = Vector256.Widen(Vector256.Load(ds + i));
                    var (x0, x1) = Vector256.Widen(Vector256.Load(xs + i));
                    g0 += d0; g1 += d1;
                    p0 = Vector256.FusedMultiplyAdd(x0 - mv, d0, p0);
                    p1 = Vector256.FusedMultiplyAdd(x1 - mv, d1, p1);
                }
                g += Vector256.Sum((g0 + g1) + (g2 + g3));
                p += Vector256.Sum((p0 + p1) + (p2 + p3));
            }
            for (; i < spatial; i++)
            {
                g += ds[i];
                p += (xs[i] - m) * ds[i];
            }
        }
        sumDy = g;
        sumDyXmu = p;
    }
}

using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class BatchNorm
{
    /// <summary>
    /// Per-channel mean and M2 = Σ(x − mean)² of <paramref name="x"/> ([n, channels, spatial]) over its
    /// n·spatial values per channel, exact to double rounding. The biased variance is M2/(n·spatial).
    /// </summary>
    /// <remarks>Each block of rows accumulates shifted sums Σ(x−K), Σ(x−K)² in double (K = the block's
    /// first value, so no catastrophic cancellation); blocks merge with Chan's formula in block order.</remarks>
    public static void Statistics(ReadOnlySpan<float> x, int n, int channels, int spatial, Span<double> mean, Span<double> m2)
    {
        if (!BeginStatistics(x, n, channels, spatial, mean, m2)) return;
        int blockRows = DoubleBlockRows(n, channels, spatial);
        int blocks = (n + blockRows - 1) / blockRows;
        double[] scratch = Scratch(2 * blocks * channels);
        fixed (float* px = x)
        fixed (double* ps = scratch)
        {
            var body = new StatisticsBody(px, ps, n, channels, spatial, blockRows);
            ParallelRunner.For(body.ChunkCount, body);
        }
        // Chan et al.: combine block partials in block order (deterministic).
        for (int c = 0; c < channels; c++)
        {
            double meanC = scratch[c], m2C = scratch[blocks * channels + c];
            double count = (double)Math.Min(blockRows, n) * spatial;
            for (int b = 1; b < blocks; b++)
            {
                double nb = (double)(Math.Min(n, (b + 1) * blockRows) - b * blockRows) * spatial;
                double delta = scratch[b * channels + c] - meanC;
                double total = count + nb;
                meanC += delta * nb / total;
                m2C += scratch[(blocks + b) * channels + c] + delta * delta * count * nb / total;
                count = total;
            }
            mean[c] = meanC;
            m2[c] = Math.Max(0, m2C); // rounding may leave −ε for a constant channel
        }
    }

    /// <summary>The checks and empty cases shared by <see cref="Statistics"/> and <see cref="TrainingStatistics"/>:
    /// false when there is nothing to reduce (no channels; or n = 0, which leaves mean NaN and M2 0).</summary>
    private static bool BeginStatistics(ReadOnlySpan<float> x, int n, int channels, int spatial, Span<double> mean, Span<double> m2)
    {
        CheckShape(x.Length, n, channels, spatial, nameof(x));
        CheckChannels(mean.Length, channels, nameof(mean));
        CheckChannels(m2.Length, channels, nameof(m2));
        if (channels == 0) return false;
        if (n > 0) return true;
        mean[..channels].Fill(double.NaN);
        m2[..channels].Clear();
        return false;
    }

    /// <summary>One (block, column group) of the [N, C] layout, or one (channel, block) of the planar one.
    /// Writes the block's mean to scratch[block·C + c] and its M2 to scratch[(blocks + block)·C + c].</summary>
    private readonly struct StatisticsBody : IChunkBody
    {
        private readonly float* _x;
        private readonly double* _scratch;
        private readonly int _n, _channels, _spatial, _blockRows, _blocks, _columnChunks;

        public StatisticsBody(float* x, double* scratch, int n, int channels, int spatial, int blockRows)
        {
            _x = x; _scratch = scratch; _n = n; _channels = channels; _spatial = spatial; _blockRows = blockRows;
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
                RowStatistics(_x, _channels, r0, r1, c0, c1, _scratch + block * _channels, _scratch + (_blocks + block) * _channels);
            }
            else
            {
                int channel = chunk / _blocks, block = chunk % _blocks;
                int r0 = block * _blockRows, r1 = Math.Min(_n, r0 + _blockRows);
                PlaneStatistics(_x, _channels, _spatial, channel, r0, r1,
                    out _scratch[block * _channels + channel], out _scratch[(_blocks + block) * _channels + channel]);
            }
        }
    }

    /// <summary>Columns [c0, c1) over rows [r0, r1) of an [N, C] matrix, vectorised across columns:
    /// 16 columns (eight double accumulators, enough independent chains to hide the add latency) at a time.</summary>
    private static void RowStatistics(float* x, int channels, int r0, int r1, int c0, int c1, double* mean, double* m2)
    {
        double count = r1 - r0;
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 32 columns (two cache lines of each row) per sweep: fewer strided sweeps over the rows. Each
            // column still accumulates over the rows in order in its own lane, so the result is the same
            // bit for bit as the 16-column loop below.
            for (; c <= c1 - 2 * Vector512<float>.Count; c += 2 * Vector512<float>.Count)
            {
                float* first = x + (long)r0 * channels + c;
                var (k0, k1) = Vector512.Widen(Vector512.Load(first));
                var (k2, k3) = Vector512.Widen(Vector512.Load(first + 16));
                Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector512<double> q0 = default, q1 = default, q2 = default, q3 = default;
                for (int r = r0; r < r1; r++)
                {
                    float* row = x + (long)r * channels + c;
                    var (v0, v1) = Vector512.Widen(Vector512.Load(row));
                    var (v2, v3) = Vector512.Widen(Vector512.Load(row + 16));
                    v0 -= k0; v1 -= k1; v2 -= k2; v3 -= k3;
                    a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                    q0 = Vector512.FusedMultiplyAdd(v0, v0, q0);
                    q1 = Vector512.FusedMultiplyAdd(v1, v1, q1);
                    q2 = Vector512.FusedMultiplyAdd(v2, v2, q2);
                    q3 = Vector512.FusedMultiplyAdd(v3, v3, q3);
                }
                (k0 + a0 / count).Store(mean + c);
                (k1 + a1 / count).Store(mean + c + 8);
                (k2 + a2 / count).Store(mean + c + 16);
                (k3 + a3 / count).Store(mean + c + 24);
                (q0 - a0 * a0 / count).Store(m2 + c);
                (q1 - a1 * a1 / count).Store(m2 + c + 8);
                (q2 - a2 * a2 / count).Store(m2 + c + 16);
                (q3 - a3 * a3 / count).Store(m2 + c + 24);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= c1 - 2 * Vector256<float>.Count; c += 2 * Vector256<float>.Count)
            {
                // Scalar math: K = x[r0,c]; s1 = Σ(x−K); s2 = Σ(x−K)²; mean = K + s1/n; M2 = s2 − s1²/n.
                float* first = x + (long)r0 * channels + c;
                var (k0, k1) = Vector256.Widen(Vector256.Load(first));
                var (k2, k3) = Vector256.Widen(Vector256.Load(first + 8));
                Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<double> q0 = default, q1 = default, q2 = default, q3 = default;
                for (int r = r0; r < r1; r++)
                {
                    float* row = x + (long)r * channels + c;
                    var (v0, v1) = Vector256.Widen(Vector256.Load(row));
                    var (v2, v3) = Vector256.Widen(Vector256.Load(row + 8));
                    v0 -= k0; v1 -= k1; v2 -= k2; v3 -= k3;
                    a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                    q0 = Vector256.FusedMultiplyAdd(v0, v0, q0);
                    q1 = Vector256.FusedMultiplyAdd(v1, v1, q1);
                    q2 = Vector256.FusedMultiplyAdd(v2, v2, q2);
                    q3 = Vector256.FusedMultiplyAdd(v3, v3, q3);
                }
                (k0 + a0 / count).Store(mean + c);
                (k1 + a1 / count).Store(mean + c + 4);
                (k2 + a2 / count).Store(mean + c + 8);
                (k3 + a3 / count).Store(mean + c + 12);
                (q0 - a0 * a0 / count).Store(m2 + c);
                (q1 - a1 * a1 / count).Store(m2 + c + 4);
                (q2 - a2 * a2 / count).Store(m2 + c + 8);
                (q3 - a3 * a3 / count).Store(m2 + c + 12);
            }
        }
        for (; c < c1; c++)
        {
            double k = x[(long)r0 * channels + c], s1 = 0, s2 = 0;
            for (int r = r0; r < r1; r++)
            {
                double d = x[(long)r * channels + c] - k;
                s1 += d;
                s2 += d * d;
            }
            mean[c] = k + s1 / count;
            m2[c] = s2 - s1 * s1 / count;
        }
    }

    /// <summary>Channel <paramref name="channel"/> over planes [r0, r1) of an [N, C, S] tensor, 16 values
    /// (eight double accumulators) at a time.</summary>
    private static void PlaneStatistics(float* x, int channels, int spatial, int channel, int r0, int r1, out double mean, out double m2)
    {
        double k = x[((long)r0 * channels + channel) * spatial];
        double s1 = 0, s2 = 0;
        var kv = Vector256.Create(k);
        for (int r = r0; r < r1; r++)
        {
            float* plane = x + ((long)r * channels + channel) * spatial;
            int i = 0;
            if (Vector256.IsHardwareAccelerated && spatial >= Vector256<float>.Count)
            {
                Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<double> q0 = default, q1 = default, q2 = default, q3 = default;
                for (; i <= spatial - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
                {
                    var (v0, v1) = Vector256.Widen(Vector256.Load(plane + i));
                    var (v2, v3) = Vector256.Widen(Vector256.Load(plane + i + 8));
                    v0 -= kv; v1 -= kv; v2 -= kv; v3 -= kv;
                    a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                    q0 = Vector256.FusedMultiplyAdd(v0, v0, q0);
                    q1 = Vector256.FusedMultiplyAdd(v1, v1, q1);
                    q2 = Vector256.FusedMultiplyAdd(v2, v2, q2);
                    q3 = Vector256.FusedMultiplyAdd(v3, v3, q3);
                }
                for (; i <= spatial - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var (v0, v1) = Vector256.Widen(Vector256.Load(plane + i));
                    v0 -= kv; v1 -= kv;
                    a0 += v0; a1 += v1;
                    q0 = Vector256.FusedMultiplyAdd(v0, v0, q0);
                    q1 = Vector256.FusedMultiplyAdd(v1, v1, q1);
                }
                s1 += Vector256.Sum((a0 + a1) + (a2 + a3));
                s2 += Vector256.Sum((q0 + q1) + (q2 + q3));
            }
            for (; i < spatial; i++)
            {
                double d = plane[i] - k;
                s1 += d;
                s2 += d * d;
            }
        }
        double count = (double)(r1 - r0) * spatial;
        mean = k + s1 / count;
        m2 = s2 - s1 * s1 / count;
    }
}

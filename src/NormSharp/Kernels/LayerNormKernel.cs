using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Layer-normalization kernels (Ba, Kiros and Hinton 2016) over <c>rows</c> rows of <c>width</c>
/// values, each row normalised on its own and scaled per column: y = (x − μ_row)·invstd_row·γ + β.
/// Row statistics come from <see cref="BatchNorm.Statistics"/> viewing the input as [1, rows, width].
/// </summary>
public static unsafe class LayerNormKernel
{
    private const int Grain = 32768;
    private const int ColumnsPerChunk = 64;

    /// <summary>y[r, j] = (x[r, j] − mean[r])·invstd[r]·gamma[j] + beta[j]; gamma/beta empty: 1 and 0.</summary>
    public static void Apply(ReadOnlySpan<float> x, int rows, int width, ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        Check(x.Length, y.Length, rows, width, mean.Length, invstd.Length, gamma.Length, beta.Length);
        fixed (float* px = x) fixed (float* py = y) fixed (float* pm = mean) fixed (float* ps = invstd)
        fixed (float* pg = gamma) fixed (float* pb = beta)
        {
            var body = new RowBody(px, null, py, pm, ps, gamma.IsEmpty ? null : pg, beta.IsEmpty ? null : pb, rows, width);
            ParallelRunner.For(body.ChunkCount, body);
        }
    }

    /// <summary>
    /// dx = invstd·(ĝ − mean_j(ĝ) − x̂·mean_j(ĝ·x̂)) per row, with ĝ = dy·γ and x̂ = (x − μ)·invstd
    /// (the LayerNorm gradient through the row statistics). <paramref name="dx"/> may alias <paramref name="dy"/>.
    /// </summary>
    public static void BackwardInput(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int width,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, Span<float> dx)
    {
        Check(x.Length, dy.Length, rows, width, mean.Length, invstd.Length, gamma.Length, 0);
        if (dx.Length != dy.Length) throw new ArgumentException($"dx holds {dx.Length} values, dy {dy.Length}", nameof(dx));
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pdx = dx) fixed (float* pm = mean) fixed (float* ps = invstd)
        fixed (float* pg = gamma)
        {
            var body = new RowBody(px, pdy, pdx, pm, ps, gamma.IsEmpty ? null : pg, null, rows, width);
            ParallelRunner.For(body.ChunkCount, body);
        }
    }

    /// <summary>dGamma[j] += Σ_r dy·x̂, dBeta[j] += Σ_r dy (either may be empty to skip it); column-parallel,
    /// each column summed over rows in row order (deterministic).</summary>
    public static void BackwardParameters(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int width,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd, Span<float> dGamma, Span<float> dBeta)
    {
        Check(x.Length, dy.Length, rows, width, mean.Length, invstd.Length, dGamma.Length, dBeta.Length);
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pm = mean) fixed (float* ps = invstd)
        fixed (float* pg = dGamma) fixed (float* pb = dBeta)
        {
            var body = new ColumnBody(px, pdy, pm, ps, dGamma.IsEmpty ? null : pg, dBeta.IsEmpty ? null : pb, rows, width);
            ParallelRunner.For(body.ChunkCount, body);
        }
    }

    private static void Check(int xLength, int otherLength, int rows, int width, int mean, int invstd, int gamma, int beta)
    {
        if (rows < 0 || width < 1 || (long)rows * width != xLength || otherLength != xLength)
            throw new ArgumentException($"layer norm: {xLength} and {otherLength} values do not form [{rows}, {width}]");
        if (mean < rows || invstd < rows) throw new ArgumentException($"layer norm: {rows} rows need {rows} means and invstds");
        if ((gamma != 0 && gamma != width) || (beta != 0 && beta != width))
            throw new ArgumentException($"layer norm: gamma/beta must hold {width} values (or none)");
    }

    private readonly struct RowBody : IChunkBody
    {
        private readonly float* _x, _dy, _out, _mean, _invstd, _gamma, _beta;
        private readonly int _rows, _width, _perChunk;

        public RowBody(float* x, float* dy, float* output, float* mean, float* invstd, float* gamma, float* beta, int rows, int width)
        {
            _x = x; _dy = dy; _out = output; _mean = mean; _invstd = invstd; _gamma = gamma; _beta = beta;
            _rows = rows; _width = width;
            ChunkCount = Math.Min(Math.Max(rows, 1), ParallelRunner.ChunksFor((long)rows * width, Grain));
            _perChunk = (rows + ChunkCount - 1) / Math.Max(1, ChunkCount);
        }

        public int ChunkCount { get; }

        public void Execute(int chunk)
        {
            int r1 = Math.Min(_rows, (chunk + 1) * _perChunk);
            for (int r = chunk * _perChunk; r < r1; r++)
            {
                long o = (long)r * _width;
                if (_dy == null) ApplyRow(_x + o, _out + o, _width, _mean[r], _invstd[r], _gamma, _beta);
                else BackwardRow(_x + o, _dy + o, _out + o, _width, _mean[r], _invstd[r], _gamma);
            }
        }
    }

    private static void ApplyRow(float* x, float* y, int width, float mean, float invstd, float* gamma, float* beta)
    {
        // Scalar math: y[j] = (x[j] − μ)·invstd·γ[j] + β[j].
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var mv = Vector256.Create(mean);
            var sv = Vector256.Create(invstd);
            for (; j <= width - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var v = (Vector256.Load(x + j) - mv) * sv;
                if (gamma != null) v *= Vector256.Load(gamma + j);
                if (beta != null) v += Vector256.Load(beta + j);
                v.Store(y + j);
            }
        }
        for (; j < width; j++)
        {
            float v = (x[j] - mean) * invstd;
            if (gamma != null) v *= gamma[j];
            if (beta != null) v += beta[j];
            y[j] = v;
        }
    }

    private static void BackwardRow(float* x, float* dy, float* dx, int width, float mean, float invstd, float* gamma)
    {
        // s1 = Σ ĝ, s2 = Σ ĝ·x̂ in double; then dx = invstd·(ĝ − s1/D − x̂·s2/D).
        double s1 = 0, s2 = 0;
        for (int j = 0; j < width; j++)
        {
            double g = gamma != null ? (double)dy[j] * gamma[j] : dy[j];
            s1 += g;
            s2 += g * ((x[j] - mean) * (double)invstd);
        }
        float c1 = (float)(s1 / width), c2 = (float)(s2 / width);
        int k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var mv = Vector256.Create(mean);
            var sv = Vector256.Create(invstd);
            var c1v = Vector256.Create(c1);
            var c2v = Vector256.Create(c2);
            for (; k <= width - Vector256<float>.Count; k += Vector256<float>.Count)
            {
                var g = Vector256.Load(dy + k);
                if (gamma != null) g *= Vector256.Load(gamma + k);
                var xhat = (Vector256.Load(x + k) - mv) * sv;
                (sv * (g - c1v - xhat * c2v)).Store(dx + k);
            }
        }
        for (; k < width; k++)
        {
            float g = gamma != null ? dy[k] * gamma[k] : dy[k];
            float xhat = (x[k] - mean) * invstd;
            dx[k] = invstd * (g - c1 - xhat * c2);
        }
    }

    private readonly struct ColumnBody : IChunkBody
    {
        private readonly float* _x, _dy, _mean, _invstd, _dGamma, _dBeta;
        private readonly int _rows, _width;

        public ColumnBody(float* x, float* dy, float* mean, float* invstd, float* dGamma, float* dBeta, int rows, int width)
        {
            _x = x; _dy = dy; _mean = mean; _invstd = invstd; _dGamma = dGamma; _dBeta = dBeta; _rows = rows; _width = width;
            ChunkCount = (long)rows * width < Grain ? 1 : (width + ColumnsPerChunk - 1) / ColumnsPerChunk;
        }

        public int ChunkCount { get; }

        public void Execute(int chunk)
        {
            int j0 = ChunkCount == 1 ? 0 : chunk * ColumnsPerChunk;
            int j1 = ChunkCount == 1 ? _width : Math.Min(_width, j0 + ColumnsPerChunk);
            for (int j = j0; j < j1; j++)
            {
                // Scalar math: dγ[j] += Σ_r dy[r,j]·(x[r,j] − μ_r)·invstd_r;  dβ[j] += Σ_r dy[r,j].
                double g = 0, b = 0;
                for (int r = 0; r < _rows; r++)
                {
                    long o = (long)r * _width + j;
                    g += (double)_dy[o] * ((_x[o] - _mean[r]) * _invstd[r]);
                    b += _dy[o];
                }
                if (_dGamma != null) _dGamma[j] += (float)g;
                if (_dBeta != null) _dBeta[j] += (float)b;
            }
        }
    }
}

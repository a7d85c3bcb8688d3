namespace NormSharp.Kernels;

/// <summary>
/// Plain reference implementations of <see cref="BatchNorm"/>, written straight from the formulas of
/// Ioffe and Szegedy (2015), Algorithm 1 and section 3, in double precision, one channel at a time.
/// Tests hold the fast kernels and the layers against these.
/// </summary>
public static class BatchNormReference
{
    /// <summary>Two-pass mean and M2 = Σ(x − μ)² per channel of [n, channels, spatial].</summary>
    public static void Statistics(ReadOnlySpan<float> x, int n, int channels, int spatial, Span<double> mean, Span<double> m2)
    {
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < n; r++)
                for (int i = 0; i < spatial; i++) sum += x[Index(r, c, i, channels, spatial)];
            double mu = sum / ((double)n * spatial);
            double sq = 0;
            for (int r = 0; r < n; r++)
                for (int i = 0; i < spatial; i++)
                {
                    double d = x[Index(r, c, i, channels, spatial)] - mu;
                    sq += d * d;
                }
            mean[c] = mu;
            m2[c] = sq;
        }
    }

    /// <summary>y = x·alpha[c] + beta[c].</summary>
    public static void Apply(ReadOnlySpan<float> x, int n, int channels, int spatial,
        ReadOnlySpan<float> alpha, ReadOnlySpan<float> beta, Span<float> y)
    {
        for (int r = 0; r < n; r++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < spatial; i++)
                {
                    int j = Index(r, c, i, channels, spatial);
                    y[j] = (float)((double)x[j] * alpha[c] + beta[c]);
                }
    }

    /// <summary>sumDy[c] = Σ dy, sumDyXmu[c] = Σ (x − mean[c])·dy.</summary>
    public static void BackwardReduce(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> mean, Span<double> sumDy, Span<double> sumDyXmu)
    {
        for (int c = 0; c < channels; c++)
        {
            double g = 0, p = 0;
            for (int r = 0; r < n; r++)
                for (int i = 0; i < spatial; i++)
                {
                    int j = Index(r, c, i, channels, spatial);
                    g += dy[j];
                    p += ((double)x[j] - mean[c]) * dy[j];
                }
            sumDy[c] = g;
            sumDyXmu[c] = p;
        }
    }

    /// <summary>dx = dy·a[c] + x·b[c] + k[c].</summary>
    public static void BackwardApply(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> k, Span<float> dx)
    {
        for (int r = 0; r < n; r++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < spatial; i++)
                {
                    int j = Index(r, c, i, channels, spatial);
                    dx[j] = (float)((double)dy[j] * a[c] + (double)x[j] * b[c] + k[c]);
                }
    }

    /// <summary>
    /// Training-mode forward of Algorithm 1: μ_B = (1/m)Σxᵢ, σ²_B = (1/m)Σ(xᵢ − μ_B)²,
    /// x̂ᵢ = (xᵢ − μ_B)/√(σ²_B + ε), yᵢ = γx̂ᵢ + β, with m = n·spatial values per channel.
    /// Writes y and the batch mean and biased variance.
    /// </summary>
    public static void ForwardTraining(ReadOnlySpan<float> x, int n, int channels, int spatial,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, double eps, Span<float> y, Span<double> mean, Span<double> variance)
    {
        double m = (double)n * spatial;
        Statistics(x, n, channels, spatial, mean, variance);
        for (int c = 0; c < channels; c++)
        {
            variance[c] /= m;
            double sd = Math.Sqrt(variance[c] + eps);
            for (int r = 0; r < n; r++)
                for (int i = 0; i < spatial; i++)
                {
                    int j = Index(r, c, i, channels, spatial);
                    y[j] = (float)(gamma[c] * ((x[j] - mean[c]) / sd) + beta[c]);
                }
        }
    }

    /// <summary>
    /// Training-mode backward, the chain rule of section 3 term by term:
    /// ∂ℓ/∂x̂ᵢ = ∂ℓ/∂yᵢ·γ; ∂ℓ/∂σ² = Σ ∂ℓ/∂x̂ᵢ·(xᵢ − μ)·(−½)(σ² + ε)^(−3/2);
    /// ∂ℓ/∂μ = Σ ∂ℓ/∂x̂ᵢ·(−1/√(σ² + ε)) + ∂ℓ/∂σ²·Σ −2(xᵢ − μ)/m;
    /// ∂ℓ/∂xᵢ = ∂ℓ/∂x̂ᵢ/√(σ² + ε) + ∂ℓ/∂σ²·2(xᵢ − μ)/m + ∂ℓ/∂μ/m; ∂ℓ/∂γ = Σ ∂ℓ/∂yᵢ·x̂ᵢ; ∂ℓ/∂β = Σ ∂ℓ/∂yᵢ.
    /// Gradients of γ and β are written (not accumulated).
    /// </summary>
    public static void BackwardTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> gamma, double eps, Span<float> dx, Span<double> dGamma, Span<double> dBeta)
    {
        double m = (double)n * spatial;
        Span<double> mean = new double[channels], variance = new double[channels];
        Statistics(x, n, channels, spatial, mean, variance);
        for (int c = 0; c < channels; c++)
        {
            double mu = mean[c], v = variance[c] / m, sd = Math.Sqrt(v + eps);
            double dVar = 0, dMeanA = 0, sumXmu = 0, dg = 0, db = 0;
            // (v + ε)^(−3/2) is the same for every element of the channel: computed once (the JIT does not hoist Math.Pow),
            // the per-element expression below is unchanged, so the result is bit-identical.
            double invStdCubed = Math.Pow(v + eps, -1.5);
            for (int r = 0; r < n; r++)
                for (int i = 0; i < spatial; i++)
                {
                    int j = Index(r, c, i, channels, spatial);
                    double dxhat = dy[j] * (double)gamma[c];
                    dVar += dxhat * (x[j] - mu) * -0.5 * invStdCubed;
                    dMeanA += dxhat * (-1 / sd);
                    sumXmu += -2 * (x[j] - mu);
                    dg += dy[j] * ((x[j] - mu) / sd);
                    db += dy[j];
                }
            double dMean = dMeanA + dVar * sumXmu / m;
            for (int r = 0; r < n; r++)
                for (int i = 0; i < spatial; i++)
                {
                    int j = Index(r, c, i, channels, spatial);
                    double dxhat = dy[j] * (double)gamma[c];
                    dx[j] = (float)(dxhat / sd + dVar * 2 * (x[j] - mu) / m + dMean / m);
                }
            dGamma[c] = dg;
            dBeta[c] = db;
        }
    }

    /// <summary>running ← (1 − f)·running + f·batch; the variance's batch value is the unbiased M2/(m − 1).</summary>
    public static void UpdateRunningStatistics(Span<float> runningMean, Span<float> runningVar, ReadOnlySpan<double> mean,
        ReadOnlySpan<double> m2, long count, double factor)
    {
        for (int c = 0; c < runningMean.Length; c++)
        {
            runningMean[c] = (float)((1 - factor) * runningMean[c] + factor * mean[c]);
            runningVar[c] = (float)((1 - factor) * runningVar[c] + factor * (m2[c] / (count - 1)));
        }
    }

    /// <summary>dγ[c] += (float)(r·invstd·Σ(x − μ)dy + d·Σdy), dβ[c] += (float)Σdy; an empty gradient is skipped.</summary>
    public static void AccumulateAffineGradients(Span<float> dGamma, Span<float> dBeta, ReadOnlySpan<float> r, ReadOnlySpan<float> invstd,
        ReadOnlySpan<float> d, ReadOnlySpan<double> sumDyXmu, ReadOnlySpan<double> sumDy)
    {
        for (int c = 0; c < dGamma.Length; c++) dGamma[c] += (float)((double)r[c] * invstd[c] * sumDyXmu[c] + (double)d[c] * sumDy[c]);
        for (int c = 0; c < dBeta.Length; c++) dBeta[c] += (float)sumDy[c];
    }

    private static int Index(int r, int c, int i, int channels, int spatial) => (r * channels + c) * spatial + i;
}

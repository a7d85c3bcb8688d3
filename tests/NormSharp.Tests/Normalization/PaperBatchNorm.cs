namespace NormSharp.Tests.Normalization;

/// <summary>
/// BN written in the test from Algorithm 1 and section 3 of Ioffe and Szegedy (2015), in double and
/// per channel, independent of the library's kernels. Layout [n, c, spatial].
/// </summary>
internal static class PaperBatchNorm
{
    /// <summary>Batch mean and biased variance per channel over m = n·spatial values.</summary>
    public static (double[] Mean, double[] Var) Moments(float[] x, int n, int c, int s)
    {
        var mean = new double[c];
        var variance = new double[c];
        double m = (double)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            foreach (int j in Indices(n, c, s, ch)) sum += x[j];
            mean[ch] = sum / m;
            double sq = 0;
            foreach (int j in Indices(n, c, s, ch)) sq += (x[j] - mean[ch]) * (x[j] - mean[ch]);
            variance[ch] = sq / m;
        }
        return (mean, variance);
    }

    /// <summary>y = γ·(x − μ)/√(σ² + ε) + β with the given statistics.</summary>
    public static double[] Normalize(float[] x, int n, int c, int s, double[] mean, double[] variance, float[] gamma, float[] beta, double eps)
    {
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
            foreach (int j in Indices(n, c, s, ch))
                y[j] = gamma[ch] * (x[j] - mean[ch]) / Math.Sqrt(variance[ch] + eps) + beta[ch];
        return y;
    }

    /// <summary>The paper's backward, term by term: dx̂, dσ², dμ, dx, dγ, dβ.</summary>
    public static (double[] Dx, double[] DGamma, double[] DBeta) Backward(float[] x, float[] dy, int n, int c, int s, float[] gamma, double eps)
    {
        var (mean, variance) = Moments(x, n, c, s);
        double m = (double)n * s;
        var dx = new double[x.Length];
        var dGamma = new double[c];
        var dBeta = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double mu = mean[ch], v = variance[ch];
            double dVar = 0, dMu = 0, sumXmu = 0;
            foreach (int j in Indices(n, c, s, ch))
            {
                double dxHat = dy[j] * gamma[ch];
                dVar += dxHat * (x[j] - mu) * -0.5 * Math.Pow(v + eps, -1.5);
                dMu += -dxHat / Math.Sqrt(v + eps);
                sumXmu += -2 * (x[j] - mu) / m;
                dGamma[ch] += dy[j] * (x[j] - mu) / Math.Sqrt(v + eps);
                dBeta[ch] += dy[j];
            }
            dMu += dVar * sumXmu;
            foreach (int j in Indices(n, c, s, ch))
                dx[j] = dy[j] * gamma[ch] / Math.Sqrt(v + eps) + dVar * 2 * (x[j] - mu) / m + dMu / m;
        }
        return (dx, dGamma, dBeta);
    }

    private static IEnumerable<int> Indices(int n, int c, int s, int channel)
    {
        for (int r = 0; r < n; r++)
            for (int i = 0; i < s; i++) yield return (r * c + channel) * s + i;
    }
}

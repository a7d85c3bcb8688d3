namespace NormSharp.Kernels;

/// <summary>Plain double-precision reference for <see cref="LayerNormKernel"/> (PyTorch's <c>nn.LayerNorm</c> formula).</summary>
public static class LayerNormReference
{
    /// <summary>y = (x − E[x])/√(Var[x] + ε)·γ + β per row, biased variance; also returns the row statistics.</summary>
    public static void Forward(ReadOnlySpan<float> x, int rows, int width, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        double eps, Span<float> y, Span<double> mean, Span<double> invstd)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * width, width);
            double sum = 0;
            foreach (float v in row) sum += v;
            double mu = sum / width, sq = 0;
            foreach (float v in row) sq += (v - mu) * (v - mu);
            double s = 1 / Math.Sqrt(sq / width + eps);
            mean[r] = mu;
            invstd[r] = s;
            for (int j = 0; j < width; j++)
                y[r * width + j] = (float)((row[j] - mu) * s * (gamma.IsEmpty ? 1 : gamma[j]) + (beta.IsEmpty ? 0 : beta[j]));
        }
    }

    /// <summary>dx = invstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = dy·γ; dγ = Σ_r dy·x̂; dβ = Σ_r dy (written).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int width, ReadOnlySpan<float> gamma,
        ReadOnlySpan<double> mean, ReadOnlySpan<double> invstd, Span<float> dx, Span<double> dGamma, Span<double> dBeta)
    {
        dGamma.Clear();
        dBeta.Clear();
        for (int r = 0; r < rows; r++)
        {
            double s1 = 0, s2 = 0;
            for (int j = 0; j < width; j++)
            {
                int i = r * width + j;
                double xhat = (x[i] - mean[r]) * invstd[r], g = dy[i] * (gamma.IsEmpty ? 1 : gamma[j]);
                s1 += g;
                s2 += g * xhat;
                dGamma[j] += dy[i] * xhat;
                dBeta[j] += dy[i];
            }
            for (int j = 0; j < width; j++)
            {
                int i = r * width + j;
                double xhat = (x[i] - mean[r]) * invstd[r], g = dy[i] * (gamma.IsEmpty ? 1 : gamma[j]);
                dx[i] = (float)(invstd[r] * (g - s1 / width - xhat * s2 / width));
            }
        }
    }
}

using NormSharp.Data;

namespace NormSharp.Tests.Data;

public class SyntheticDataTests
{
    [Fact]
    public void QuadraticRegressionMatchesTheSeedsRecipe()
    {
        var data = SyntheticData.QuadraticRegression(seed: 7);
        Assert.Equal(500, data.Count);
        Assert.Equal(new[] { 500, 1 }, data.Features.Shape);
        Assert.Equal(new[] { 500, 1 }, data.Targets.Shape);
        Assert.Equal(0, data.NumClasses);
        var x = data.Features.Span;
        var y = data.Targets.Span;
        Assert.Equal(-7f, x[0]);
        Assert.Equal(10f, x[^1], 5);
        Assert.Equal(-7 + 17.0 / 499, x[1], 5); // numpy.linspace step
        // Residuals y − (x² − 5) are the N(0, 8²) noise: mean within 3 standard errors, std within ±10%.
        double sum = 0, squares = 0;
        for (int i = 0; i < x.Length; i++) { double r = y[i] - (x[i] * x[i] - 5); sum += r; squares += r * r; }
        double mean = sum / x.Length, std = Math.Sqrt(squares / x.Length - mean * mean);
        Assert.InRange(mean, -3 * 8 / Math.Sqrt(500), 3 * 8 / Math.Sqrt(500));
        Assert.InRange(std, 7.2, 8.8);
    }

    [Fact]
    public void GeneratorsAreDeterministicPerSeed()
    {
        Assert.Equal(SyntheticData.QuadraticRegression(seed: 3).Targets.ToArray(), SyntheticData.QuadraticRegression(seed: 3).Targets.ToArray());
        Assert.NotEqual(SyntheticData.QuadraticRegression(seed: 3).Targets.ToArray(), SyntheticData.QuadraticRegression(seed: 4).Targets.ToArray());
        Assert.Equal(SyntheticData.TwoMoons(200, seed: 5).Features.ToArray(), SyntheticData.TwoMoons(200, seed: 5).Features.ToArray());
        Assert.Equal(SyntheticData.Blobs(90, seed: 5).Features.ToArray(), SyntheticData.Blobs(90, seed: 5).Features.ToArray());
    }

    [Fact]
    public void TwoMoonsWithoutNoiseLieOnTheirHalfCircles()
    {
        var data = SyntheticData.TwoMoons(401, noise: 0f, seed: 2);
        var x = data.Features.Span;
        var y = data.Targets.Span;
        int outer = 0;
        for (int i = 0; i < data.Count; i++)
        {
            float a = x[2 * i], b = x[2 * i + 1];
            if (y[i] == 0)
            {
                outer++;
                Assert.Equal(1.0, Math.Sqrt(a * a + b * b), 4); // (cos t, sin t)
                Assert.True(b >= -1e-6f);
            }
            else
            {
                Assert.Equal(1.0, Math.Sqrt((a - 1) * (a - 1) + (b - 0.5) * (b - 0.5)), 4); // (1 − cos t, 0.5 − sin t)
                Assert.True(b <= 0.5f + 1e-6f);
            }
        }
        Assert.Equal(200, outer);
        Assert.Equal(2, data.NumClasses);
    }

    [Fact]
    public void BlobsClusterAroundTheirCentres()
    {
        float[] centers = [-5, 0, 5, 5, 0, -5];
        var data = SyntheticData.Blobs(3000, centers, features: 2, std: 0.5f, seed: 11);
        var sums = new double[6];
        var counts = new int[3];
        var x = data.Features.Span;
        for (int i = 0; i < data.Count; i++)
        {
            int c = (int)data.Targets[i];
            counts[c]++;
            sums[2 * c] += x[2 * i];
            sums[2 * c + 1] += x[2 * i + 1];
        }
        Assert.Equal(new[] { 1000, 1000, 1000 }, counts);
        for (int k = 0; k < 6; k++) Assert.Equal(centers[k], sums[k] / 1000, 1); // standard error 0.016
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.QuadraticRegression(1)).ParamName);
        Assert.Equal("noise", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.TwoMoons(10, -1f)).ParamName);
        Assert.Equal("centers", Assert.Throws<ArgumentException>(() => SyntheticData.Blobs(10, [1f, 2f, 3f], 2, 1f, 0)).ParamName);
    }
}

using NormSharp.Layers;

namespace NormSharp.Tests.Layers;

/// <summary>Dropout and RReLU: gradients with a reseeded generator (every forward draws the same numbers),
/// statistics of the drawn masks/slopes with fixed seeds, eval-mode behaviour, reproducibility.</summary>
public class StochasticLayerTests
{
    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.2f)]
    public void DropoutBackwardMatchesFiniteDifferences(float p)
    {
        var layer = new Dropout(p);
        var x = GradientCheck.Random(new Rng(1), [4, 3, 5]);
        GradientCheck.Check(layer, x, beforeForward: () => layer.Generator.Reseed(42));
    }

    [Fact]
    public void DropoutZeroesAboutPAndKeepsTheMean()
    {
        // 200 000 draws: the kept fraction's standard error is √(p(1−p)/n) ≈ 0.001, the bounds are ~5σ.
        var layer = new Dropout(0.3f, new Rng(123));
        var x = Tensor.Full(1f, 1000, 200);
        var y = layer.Forward(x).Span;
        int zeros = 0;
        double sum = 0;
        foreach (float v in y)
        {
            if (v == 0f) zeros++;
            else Assert.Equal(1f / 0.7f, v, 1e-6f); // inverted dropout: survivors scaled by 1/(1 − p)
            sum += v;
        }
        Assert.InRange(zeros / (double)y.Length, 0.295, 0.305);
        Assert.InRange(sum / y.Length, 0.99, 1.01); // E[y] = x
    }

    [Fact]
    public void DropoutIsTheIdentityInEvalAndForPZero()
    {
        var x = GradientCheck.Random(new Rng(2), [3, 4]);
        var layer = new Dropout(0.5f);
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
        var g = GradientCheck.Random(new Rng(3), [3, 4]);
        Assert.Same(g, layer.Backward(g));
        var none = new Dropout(0f);
        Assert.Equal(x.ToArray(), none.Forward(x).ToArray());
        var all = new Dropout(1f);
        Assert.All(all.Forward(x).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5f)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(float.NaN)).ParamName);
    }

    [Fact]
    public void DropoutMaskFollowsTheGeneratorAndTheBackwardReusesIt()
    {
        var x = Tensor.Full(2f, 7, 3); // odd length: the last element takes a draw of its own
        var a = new Dropout(0.5f, new Rng(9));
        var b = new Dropout(0.5f, new Rng(9));
        var ya = a.Forward(x).ToArray();
        Assert.Equal(ya, b.Forward(x).ToArray());
        var dx = a.Backward(Tensor.Full(1f, 7, 3)).ToArray();
        for (int i = 0; i < ya.Length; i++) Assert.Equal(ya[i] == 0f ? 0f : 2f, dx[i]);
        Assert.NotEqual(ya, a.Forward(x).ToArray()); // the next step draws a new mask
    }

    [Fact]
    public void RReluTrainingBackwardMatchesFiniteDifferences()
    {
        var layer = new RReLU();
        var x = GradientCheck.Random(new Rng(4), [3, 4, 5], -2f, 2f);
        foreach (ref float v in x.Span) if (MathF.Abs(v) < 0.05f) v = -0.3f;
        GradientCheck.Check(layer, x, rtol: 1e-2, atol: 1e-3, h: 1e-3, beforeForward: () => layer.Generator.Reseed(7));
    }

    [Fact]
    public void RReluEvalBackwardMatchesFiniteDifferences()
    {
        var layer = new RReLU(0.1f, 0.3f);
        layer.Eval();
        var x = GradientCheck.Random(new Rng(5), [4, 6], -2f, 2f);
        foreach (ref float v in x.Span) if (MathF.Abs(v) < 0.05f) v = 0.3f;
        GradientCheck.Check(layer, x, rtol: 1e-2, atol: 1e-3, h: 1e-3);
    }

    [Fact]
    public void RReluDrawsSlopesInRangeAndUsesTheMeanInEval()
    {
        var layer = new RReLU(rng: new Rng(11));
        var x = Tensor.Full(-1f, 100_000);
        x[0] = 3f;
        var y = layer.Forward(x).ToArray();
        Assert.Equal(3f, y[0]);
        double sum = 0;
        for (int i = 1; i < y.Length; i++)
        {
            float slope = -y[i];
            Assert.InRange(slope, 1f / 8f, 1f / 3f);
            sum += slope;
        }
        // U(1/8, 1/3): mean 11/48, std (1/3 − 1/8)/√12 ≈ 0.060, standard error ≈ 0.0002.
        Assert.InRange(sum / (y.Length - 1), 11.0 / 48 - 0.001, 11.0 / 48 + 0.001);
        layer.Eval();
        Assert.Equal(-11f / 48f, layer.Forward(x)[1], 1e-6f);
        Assert.Equal(11f / 48f, layer.EvalSlope, 1e-7f);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RReLU(0.5f, 0.1f));
    }
}

using NormSharp.Kernels;

namespace NormSharp.Tests.Optimizers;

/// <summary>The vectorised optimizer kernels against their scalar references at every length 0…70
/// (empty, shorter than a vector, vector bodies with every tail length).</summary>
public class OptimizerKernelTests
{
    private static float[] Random(Rng rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextGaussian() * scale;
        return a;
    }

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    public void SgdMatchesReference(bool momentum, bool nesterov, bool firstStep)
    {
        var rng = new Rng(1);
        for (int n = 0; n <= 70; n++)
        {
            float[] p = Random(rng, n), g = Random(rng, n), b = Random(rng, n);
            float[] p2 = (float[])p.Clone(), b2 = (float[])b.Clone();
            float mu = momentum ? 0.9f : 0f, damp = nesterov ? 0f : 0.2f;
            OptimizerKernels.Sgd(p, g, b, 0.1f, mu, damp, 0.01f, nesterov, firstStep);
            OptimizerKernelsReference.Sgd(p2, g, b2, 0.1f, mu, damp, 0.01f, nesterov, firstStep);
            Assert.Equal(p2, p);
            Assert.Equal(b2, b);
        }
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(0.1f, 1f)]
    [InlineData(0f, 0.999f)]
    public void AdamMatchesReference(float l2, float decay)
    {
        var rng = new Rng(2);
        for (int n = 0; n <= 70; n++)
        {
            float[] p = Random(rng, n), g = Random(rng, n), m = Random(rng, n, 0.1f), v = Random(rng, n, 0.1f);
            for (int i = 0; i < n; i++) v[i] = MathF.Abs(v[i]);
            float[] p2 = (float[])p.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();
            OptimizerKernels.Adam(p, g, m, v, 0.9f, 0.999f, 1e-8f, l2, decay, 0.01f, 0.05f);
            OptimizerKernelsReference.Adam(p2, g, m2, v2, 0.9f, 0.999f, 1e-8f, l2, decay, 0.01f, 0.05f);
            Assert.Equal(p2, p);
            Assert.Equal(m2, m);
            Assert.Equal(v2, v);
        }
    }

    [Theory]
    [InlineData(0f, false)]
    [InlineData(0.5f, false)]
    [InlineData(0f, true)]
    [InlineData(0.5f, true)]
    public void RmsPropMatchesReference(float momentum, bool centered)
    {
        var rng = new Rng(3);
        for (int n = 0; n <= 70; n++)
        {
            float[] p = Random(rng, n), g = Random(rng, n), s = Random(rng, n), a = Random(rng, n, 0.1f), b = Random(rng, n);
            for (int i = 0; i < n; i++) s[i] = MathF.Abs(s[i]) + 0.1f;
            float[] p2 = (float[])p.Clone(), s2 = (float[])s.Clone(), a2 = (float[])a.Clone(), b2 = (float[])b.Clone();
            OptimizerKernels.RmsProp(p, g, s, a, b, 0.01f, 0.9f, 1e-8f, 0.01f, momentum, centered);
            OptimizerKernelsReference.RmsProp(p2, g, s2, a2, b2, 0.01f, 0.9f, 1e-8f, 0.01f, momentum, centered);
            Assert.Equal(p2, p);
            Assert.Equal(s2, s);
            Assert.Equal(a2, a);
            Assert.Equal(b2, b);
        }
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => OptimizerKernels.Adam(new float[4], new float[3], new float[4], new float[4],
            0.9f, 0.999f, 1e-8f, 0, 1, 0.1f, 1));
        Assert.Contains("gradient 3", e.Message);
    }
}

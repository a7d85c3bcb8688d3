namespace NormSharp.Tests.Kernels;

/// <summary>Element-wise comparison with float32 tolerances (tinygrad's rtol/atol, scaled to sums of up to a few hundred products).</summary>
public static class Approx
{
    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what,
        float rtol = 1e-4f, float atol = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) && float.IsNaN(a)) continue;
            float tolerance = atol + rtol * MathF.Max(MathF.Abs(e), MathF.Abs(a));
            Assert.True(MathF.Abs(e - a) <= tolerance, $"{what}[{i}]: expected {e:G9}, got {a:G9}");
        }
    }

    /// <summary>
    /// Element-wise comparison of long sums: each element may also differ by a few float32 roundings of
    /// <paramref name="absoluteSums"/>[i], the sum of its terms' magnitudes (the classic bound for a sum's
    /// rounding error grows with Σ|termᵢ|, not with the result, which cancellation can make near zero).
    /// </summary>
    public static void EqualSums(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual,
        ReadOnlySpan<float> absoluteSums, string what, float rtol = 1e-4f, float atol = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(expected.Length, absoluteSums.Length);
        const float Roundings = 4 * 5.96e-8f; // four units of float32 rounding, 2⁻²⁴ each
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            float tolerance = atol + rtol * MathF.Max(MathF.Abs(e), MathF.Abs(a)) + Roundings * absoluteSums[i];
            Assert.True(MathF.Abs(e - a) <= tolerance,
                $"{what}[{i}]: expected {e:G9}, got {a:G9} (terms' magnitudes sum to {absoluteSums[i]:G4})");
        }
    }

    public static float[] Random(Rng rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextUniform(-1f, 1f);
        return a;
    }
}

namespace NormSharp.Tests.Inference;

/// <summary>The "agree to 1e-5 relative": |a − e| ≤ 1e-5·max(|e|, 1) element-wise (absolute below magnitude 1,
/// where a relative bound on a value near zero would demand more than float32 holds).</summary>
internal static class Relative
{
    public const double Tolerance = 1e-5;

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Length > 0, $"{what}: nothing to compare");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            Assert.True(Math.Abs(a - e) <= tolerance * Math.Max(Math.Abs(e), 1),
                $"{what}[{i}]: expected {e:G9}, got {a:G9} (differs by {Math.Abs(a - e):G3}, allowed {tolerance:G2} relative)");
        }
    }
}

using System.Runtime.Intrinsics;
using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="FastExp"/> against <see cref="MathF.Exp"/>: within 2 ulp over its whole range, clamped
/// outside it, NaN kept, in both vector widths.</summary>
public class FastExpTests
{
    [Fact]
    public void IsWithinTwoUlpOfMathFExpOverItsRange()
    {
        int worst = 0;
        for (float start = -87.3f; start < 88f; start += 16 * 0.0037f)
        {
            var x = new float[16];
            for (int l = 0; l < 16; l++) x[l] = Math.Min(88f, start + l * 0.0037f);
            var wide = FastExp.Exp(Vector512.Create(x));
            var narrow = FastExp.Exp(Vector256.Create(x.AsSpan(0, 8)));
            for (int l = 0; l < 16; l++)
            {
                worst = Math.Max(worst, Ulps(MathF.Exp(x[l]), wide[l]));
                if (l < 8) Assert.Equal(wide[l], narrow[l]);
            }
        }
        Assert.InRange(worst, 0, 2);
    }

    [Fact]
    public void ClampsOutsideItsRangeAndKeepsNaN()
    {
        var y = FastExp.Exp(Vector512.Create([-1000f, -100f, 100f, 1000f, float.NaN, 0f, 1f, -1f, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Equal(MathF.Exp(-87.3f), y[0]);
        Assert.Equal(y[0], y[1]);
        Assert.Equal(MathF.Exp(88f), y[2], 1e32f);
        Assert.True(float.IsFinite(y[3]));
        Assert.True(float.IsNaN(y[4]));
        Assert.Equal(1f, y[5]);
        Assert.InRange(Ulps(MathF.E, y[6]), 0, 2);
        Assert.InRange(Ulps(1f / MathF.E, y[7]), 0, 2);
    }

    private static int Ulps(float expected, float actual) =>
        Math.Abs(BitConverter.SingleToInt32Bits(expected) - BitConverter.SingleToInt32Bits(actual));
}

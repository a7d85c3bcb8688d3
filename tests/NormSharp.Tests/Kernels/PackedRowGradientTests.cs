using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary>The packed row gradient (<c>Conv2dKernel.PackedRowGradient.cs</c>: several images' dy rows in whole vectors,
/// e.g. eight rows of 10 in five) against the per-image row gradient, bit for bit, and against the nested-loop
/// <see cref="Conv2dReference"/>: every packed row width, batches of whole and short groups, at 1 and 2 threads.</summary>
[Collection(KernelSerialCollection.Name)]
public class PackedRowGradientTests
{
    [Theory]
    [InlineData(8, 6, 14, 14, 16)]   // LeNet's conv2: one whole group
    [InlineData(1, 6, 14, 14, 16)]   // one image: a group of one, seven zero rows
    [InlineData(9, 6, 14, 14, 16)]   // a whole group, then a group of one
    [InlineData(37, 6, 14, 14, 16)]  // four whole groups and a group of five, split over the chunks
    [InlineData(16, 3, 12, 14, 5)]   // dy 8×10, three input channels, five output channels
    [InlineData(3, 1, 5, 14, 2)]     // dy one row of 10: each dx row reaches one dy row
    [InlineData(12, 2, 20, 14, 7)]   // dy 16×10
    [InlineData(9, 6, 12, 12, 16)]   // LeNet's conv2 without conv1's padding: dy rows of 8, four images in two vectors
    [InlineData(19, 2, 9, 8, 3)]     // rows of 4: eight images in two vectors, a group of three
    [InlineData(17, 1, 7, 6, 2)]     // rows of 2: sixteen images in two vectors, a group of one
    [InlineData(11, 3, 10, 10, 4)]   // rows of 6: eight images in three vectors
    [InlineData(6, 2, 16, 16, 5)]    // rows of 12: four images in three vectors, a group of two
    public void MatchesThePerImageKernelBitForBit(int n, int c, int h, int w, int o)
    {
        var g = new Conv2dGeometry(n, c, h, w, o, 5);
        var rng = new Rng(11);
        float[] dy = Approx.Random(rng, g.OutputSize), weight = Approx.Random(rng, g.WeightSize);
        foreach (int threads in (int[])[1, 2])
            KernelSerialCollection.WithThreads(threads, () =>
            {
                float[] packed = Run(g, dy, weight, true), perImage = Run(g, dy, weight, false), reference = new float[g.InputSize];
                Conv2dReference.BackwardData(g, dy, weight, reference);
                Assert.Equal(perImage, packed);
                Approx.Equal(reference, packed, $"dx of {g}");
            });
    }

    [Fact]
    public void ABlockPastTheLimitKeepsThePerImageKernel()
    {
        // dy [90, 10, 10]: a packed block of 72,000 floats, past the 64 K limit. The per-image kernel runs, and the
        // workspace is sized for it whatever the override says.
        var g = new Conv2dGeometry(9, 1, 14, 14, 90, 5);
        var rng = new Rng(13);
        float[] dy = Approx.Random(rng, g.OutputSize), weight = Approx.Random(rng, g.WeightSize), reference = new float[g.InputSize];
        Conv2dReference.BackwardData(g, dy, weight, reference);
        float[] dx = Run(g, dy, weight, true);
        Assert.Equal(Run(g, dy, weight, false), dx);
        Approx.Equal(reference, dx, $"dx of {g}");
    }

    private static float[] Run(Conv2dGeometry g, float[] dy, float[] weight, bool packed)
    {
        float[] ws = Enumerable.Repeat(float.NaN, Conv2dKernel.WorkspaceSize(g)).ToArray();
        float[] dx = Enumerable.Repeat(float.NaN, g.InputSize).ToArray();
        Conv2dKernel.PackedRowGradientOverride = packed ? null : false;
        try { Conv2dKernel.BackwardData(g, dy, weight, dx, ws); }
        finally { Conv2dKernel.PackedRowGradientOverride = null; }
        return dx;
    }
}

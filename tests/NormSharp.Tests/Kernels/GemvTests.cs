using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary>
/// <see cref="Gemv"/> against <see cref="GemmReference"/> (y = A·x is the GEMM of A [m, n] and x as an n×1
/// column): sizes 0…~800 around the vector widths, padded leading dimensions, β = 0 over NaN, β = 1 and 0.5,
/// bit-identical results at 1 and 2 threads, and argument checks.
/// </summary>
[Collection(KernelSerialCollection.Name)]
public class GemvTests
{
    private static readonly (int M, int N)[] s_shapes =
        [(0, 5), (3, 0), (1, 1), (5, 7), (16, 15), (17, 16), (33, 17), (10, 31), (64, 65), (120, 400), (500, 784), (301, 129)];

    /// <summary>Every row kernel this machine supports, with three β.</summary>
    public static TheoryData<string, float> Paths()
    {
        var data = new TheoryData<string, float>();
        foreach (var kernel in Enum.GetValues<Gemv.RowKernel>())
            if (Gemv.IsSupported(kernel))
                foreach (float beta in new[] { 0f, 1f, 0.5f }) data.Add(kernel.ToString(), beta);
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MatchesReference(string kernelName, float beta)
    {
        var kernel = Enum.Parse<Gemv.RowKernel>(kernelName);
        var rng = new Rng(3);
        foreach (var (m, n) in s_shapes)
            foreach (int pad in new[] { 0, 3 })
            {
                int lda = Math.Max(1, n + pad);
                var a = Approx.Random(rng, m == 0 ? 0 : (m - 1) * lda + n);
                var x = Approx.Random(rng, n);
                var y = Approx.Random(rng, m);
                if (beta == 0) Array.Fill(y, float.NaN); // β = 0 must not read y
                var expected = (float[])y.Clone();
                GemmReference.Sgemm(false, false, m, 1, n, 1f, a, lda, x, 1, beta, expected, 1);

                Gemv.Sgemv(kernel, m, n, a, lda, x, beta, y);

                Approx.Equal(expected, y, $"gemv ({kernel}) {m}×{n} lda {lda} β {beta}");
            }
    }

    [Fact]
    public void ThreadCountDoesNotChangeABit()
    {
        var rng = new Rng(4);
        var a = Approx.Random(rng, 500 * 784);
        var x = Approx.Random(rng, 784);
        float[] Run(int threads)
        {
            var y = new float[500];
            KernelSerialCollection.WithThreads(threads, () =>
            {
                Assert.Equal(threads > 1, ParallelRunner.ChunksFor(500L * 784, Gemv.Grain) > 1); // 2 threads really split it
                Gemv.Sgemv(500, 784, a, 784, x, 0f, y);
            });
            return y;
        }
        Assert.Equal(Run(1), Run(2));
    }

    /// <summary>The interleaved layout gives the bits of the row-major Vector512 kernel; without Vector512 the interleaved
    /// GEMV refuses (DenseInferenceWeights then keeps W row-major for <see cref="Gemv.DefaultKernel"/>).</summary>
    [Fact]
    public void InterleavedLayoutGivesTheBitsOfTheRowMajorKernel()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            var w = new float[4 * 16];
            Assert.Throws<PlatformNotSupportedException>(() => Gemv.SgemvInterleaved(4, 16, w, new float[16], 0f, new float[4]));
            return;
        }
        var rng = new Rng(9);
        foreach (var (m, n) in s_shapes.Concat([(6, 16), (7, 33), (4, 784), (2, 3)]))
            foreach (float beta in new[] { 0f, 1f, 0.5f })
                foreach (int threads in new[] { 1, 2 })
                {
                    int lda = n + 3;
                    var a = Approx.Random(rng, Math.Max(1, m * lda));
                    var x = Approx.Random(rng, n);
                    var expected = Approx.Random(rng, m);
                    var actual = (float[])expected.Clone();
                    var interleaved = new float[Gemv.InterleavedLength(m, n)];
                    Gemv.Interleave(m, n, a, lda, interleaved);
                    KernelSerialCollection.WithThreads(threads, () =>
                    {
                        Gemv.Sgemv(Gemv.RowKernel.Lanes16, m, n, a, lda, x, beta, expected);
                        Gemv.SgemvInterleaved(m, n, interleaved, x, beta, actual);
                    });
                    Assert.True(expected.AsSpan().SequenceEqual(actual), $"{m}×{n} β {beta}, {threads} threads");
                }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var a = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemv.Sgemv(-1, 3, a, 3, new float[3], 0, new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemv.Sgemv(4, 3, a, 2, new float[3], 0, new float[4]));
        Assert.Throws<ArgumentException>(() => Gemv.Sgemv(5, 3, a, 3, new float[3], 0, new float[5]));
        Assert.Throws<ArgumentException>(() => Gemv.Sgemv(4, 3, a, 3, new float[2], 0, new float[4]));
        Assert.Throws<ArgumentException>(() => Gemv.Sgemv(4, 3, a, 3, new float[3], 0, new float[3]));
    }
}

using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="GemmPackedB"/>: a product through B packed once gives the bits of the same product with B packed
/// per call, for every micro-kernel, both layouts of B and of A, several K blocks, several NC blocks, narrow last
/// panels, 1 and 2 threads, with the epilogue; mismatched sizes and a disposed B are refused.</summary>
[Collection(KernelSerialCollection.Name)]
public class GemmPackedBTests
{
    [Theory]
    [MemberData(nameof(GemmTests.Kernels), MemberType = typeof(GemmTests))]
    public void PrepackedBGivesTheBitsOfTheUnpackedProduct(string kernelName)
    {
        var kernel = Enum.Parse<Gemm.MicroKernel>(kernelName);
        // 1100: three K blocks; 784 and 450: one K block longer than BlockK (784 with two NC blocks of 256); 1100 wide: three NC blocks;
        // 80 = 2·32 + 16 and 33: narrow and edge panels.
        (int M, int N, int K)[] shapes = [(500, 500, 784), (37, 80, 1100), (40, 300, 450), (20, 1100, 33), (13, 33, 7), (1, 10, 25), (300, 16, 384)];
        var rng = new Rng(31);
        foreach (int threads in new[] { 1, 2 })
            KernelSerialCollection.WithThreads(threads, () =>
            {
                foreach (var (m, n, k) in shapes)
                    for (int t = 0; t < 4; t++)
                    {
                        bool transA = t % 2 == 1, transB = t >= 2;
                        var a = Approx.Random(rng, m * k);
                        var b = Approx.Random(rng, k * n);
                        var bias = Approx.Random(rng, n);
                        var activation = t == 1 ? GemmActivation.Relu : GemmActivation.None;
                        int lda = transA ? m : k, ldb = transB ? k : n;
                        var expected = Approx.Random(rng, m * n);
                        var actual = (float[])expected.Clone();
                        Gemm.Sgemm(kernel, transA, transB, m, n, k, 1f, a, lda, b, ldb, t == 3 ? 0.5f : 0f, expected, n, bias, activation);
                        using var packed = Gemm.PackB(kernel, transB, k, n, b, ldb);
                        Gemm.Sgemm(transA, m, n, k, 1f, a, lda, packed, t == 3 ? 0.5f : 0f, actual, n, bias, activation);
                        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{kernel} {m}×{n}×{k} transA={transA} transB={transB}, {threads} threads");
                    }
            });
    }

    [Fact]
    public void RefusesMismatchedSizesAndADisposedB()
    {
        var b = new float[6 * 4];
        var packed = Gemm.PackB(false, 6, 4, b, 4);
        Assert.Equal((6, 4), (packed.K, packed.N));
        var c = new float[8];
        var e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, 2, 4, 5, 1f, new float[10], 5, packed, 0f, c, 4));
        Assert.Equal("b", e.ParamName);
        Assert.Contains("6×4", e.Message);
        packed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Gemm.Sgemm(false, 2, 4, 6, 1f, new float[12], 6, packed, 0f, c, 4));
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.PackB(true, 6, 4, new float[23], 6)).ParamName);
    }
}

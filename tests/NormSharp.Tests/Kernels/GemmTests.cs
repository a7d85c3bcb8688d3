using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary>
/// <see cref="Gemm"/> against <see cref="GemmReference"/>: every micro-kernel this machine runs, every
/// transpose combination, sizes 1…~300 (primes, tile and block edges), padded leading dimensions, α/β
/// variants, β = 0 over NaN, 1 and 2 threads; bit-identical repeats and thread counts; exact integer sums.
/// </summary>
[Collection(KernelSerialCollection.Name)]
public class GemmTests
{
    /// <summary>Names of the micro-kernels supported here (always Scalar; Avx2 and Avx512 where the CPU has them).</summary>
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in Enum.GetValues<Gemm.MicroKernel>())
            if (Gemm.IsSupported(kernel)) data.Add(kernel.ToString());
        return data;
    }

    private static Gemm.MicroKernel Parse(string name) => Enum.Parse<Gemm.MicroKernel>(name);

    // Sizes around every kernel's tile (4, 6, 8, 12, 16, 32), the M block (MC = 288), BlockK (384) and primes.
    private static readonly int[] s_edgeSizes = [1, 2, 3, 5, 7, 8, 11, 12, 13, 16, 17, 31, 32, 33, 48, 63, 65, 97, 143, 257, 287, 289, 293, 385];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceOnRandomShapesWithOneAndTwoThreads(string kernelName)
    {
        var kernel = Parse(kernelName);
        foreach (int threads in new[] { 1, 2 })
            KernelSerialCollection.WithThreads(threads, () =>
            {
                var rng = new Rng((ulong)(10 * (int)kernel + threads));
                for (int trial = 0; trial < 120; trial++)
                {
                    int m = Pick(rng), n = Pick(rng), k = Pick(rng);
                    CheckCase(kernel, rng, trial % 4 >= 2, trial % 2 == 1, m, n, k, pad: trial % 3, alphaBeta: trial % 5);
                }
            });
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceAcrossBlockBoundaries(string kernelName)
    {
        var kernel = Parse(kernelName);
        // Three and four K blocks (K > 1024; the later ones accumulate with β = 1), one long K block with smaller M and N
        // blocks (K = 1000: MC = 108, NC = 192), more than one M block (MC = 288), more than one N block (NC = 512),
        // a last panel exactly as wide as a narrow tile (80 = 2·32 + 16),
        // and shapes big enough to be split over two threads.
        var rng = new Rng(5);
        (int M, int N, int K)[] shapes = [(150, 40, 1030), (20, 50, 1500), (130, 70, 1000), (289, 33, 37), (7, 1100, 9), (300, 301, 260), (64, 1025, 3), (36, 80, 19)];
        foreach (int threads in new[] { 1, 2 })
            KernelSerialCollection.WithThreads(threads, () =>
            {
                foreach (var (m, n, k) in shapes)
                    for (int t = 0; t < 4; t++)
                        CheckCase(kernel, rng, t >= 2, t % 2 == 1, m, n, k, pad: t, alphaBeta: t + 1);
            });
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void BetaZeroIgnoresNaNInC(string kernelName)
    {
        var kernel = Parse(kernelName);
        var rng = new Rng(3);
        foreach (var (m, n, k) in new[] { (13, 35, 7), (12, 32, 1), (1, 1, 300) })
        {
            var a = Approx.Random(rng, m * k);
            var b = Approx.Random(rng, k * n);
            var c = new float[m * n];
            var expected = new float[m * n];
            Array.Fill(c, float.NaN);
            Gemm.Sgemm(kernel, false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            GemmReference.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, expected, n);
            Assert.DoesNotContain(c, float.IsNaN);
            Approx.Equal(expected, c, $"{kernel} {m}×{n}×{k}");
        }
    }

    [Fact]
    public void AlphaZeroOrEmptyKScalesCWithoutReadingAB()
    {
        var c = new[] { 1f, 2, 3, 4, float.NaN, 6 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, 0.5f, c, 3);
        Assert.Equal(new[] { 0.5f, 1, 3, 2, float.NaN, 6 }, c); // column 2 is outside C (ldc = 3)
        Gemm.Sgemm(false, false, 2, 2, 5, 0f, ReadOnlySpan<float>.Empty, 5, ReadOnlySpan<float>.Empty, 2, 0f, c, 3);
        Assert.Equal(new[] { 0f, 0, 3, 0, 0, 6 }, c);
        Gemm.Sgemm(false, false, 0, 4, 4, 1f, ReadOnlySpan<float>.Empty, 4, ReadOnlySpan<float>.Empty, 4, 0f, Span<float>.Empty, 4);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SmallIntegerDataGivesExactResults(string kernelName)
    {
        var kernel = Parse(kernelName);
        // Integers in [-4, 4] with k ≤ 300: every partial sum is an integer below 2^24, so any summation order
        // is exact and the fast kernel must equal the reference bit for bit.
        var rng = new Rng(11);
        foreach (var (m, n, k) in new[] { (37, 71, 300), (145, 33, 257), (12, 32, 256), (5, 300, 129) })
            for (int t = 0; t < 4; t++)
            {
                bool transA = t >= 2, transB = t % 2 == 1;
                var a = Integers(rng, m * k);
                var b = Integers(rng, k * n);
                var c = Integers(rng, m * n);
                var expected = (float[])c.Clone();
                Gemm.Sgemm(kernel, transA, transB, m, n, k, 2f, a, transA ? m : k, b, transB ? k : n, -1f, c, n);
                GemmReference.Sgemm(transA, transB, m, n, k, 2f, a, transA ? m : k, b, transB ? k : n, -1f, expected, n);
                Assert.Equal(expected, c);
            }
    }

    [Fact]
    public void RepeatedCallsAndThreadCountsGiveBitIdenticalResults()
    {
        var rng = new Rng(21);
        foreach (var (m, n, k) in new[] { (500, 400, 500), (300, 500, 64), (97, 1030, 300) })
        {
            var a = Approx.Random(rng, m * k);
            var b = Approx.Random(rng, n * k);
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 1, 2, 3 })
                KernelSerialCollection.WithThreads(threads, () =>
                {
                    for (int repeat = 0; repeat < 2; repeat++)
                    {
                        var c = new float[m * n];
                        Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n);
                        if (first is null) first = c;
                        else Assert.True(first.AsSpan().SequenceEqual(c), $"{m}×{n}×{k}, {threads} threads: result changed");
                    }
                });
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ColumnsDoNotDependOnTheWidthOfTheTileThatComputedThem(string kernelName)
    {
        // The last panel of a block runs a narrower tile (8, 16 or 24 columns for AVX-512, 8 for AVX2) than the others:
        // every column of C must get the bits a full tile gives it. C = A·B[:, :n] for every n up to 72 against the
        // first n columns of C = A·B over all 72 (two full panels and a third of 8), with bias, ReLU and β, and with rows
        // that end in an edge panel (25 = 2·12 + 1).
        var kernel = Parse(kernelName);
        var rng = new Rng(41);
        const int m = 25, k = 37, wide = 72;
        var a = Approx.Random(rng, m * k);
        var b = Approx.Random(rng, k * wide);
        var bias = Approx.Random(rng, wide);
        var prior = Approx.Random(rng, m * wide);
        foreach (float beta in new[] { 0f, 0.5f })
        {
            var full = (float[])prior.Clone();
            Gemm.Sgemm(kernel, false, false, m, wide, k, 1f, a, k, b, wide, beta, full, wide, bias, GemmActivation.Relu);
            for (int n = 1; n <= wide; n++)
            {
                var c = (float[])prior.Clone(); // C is m×n at stride `wide`: its columns are those of `full`
                Gemm.Sgemm(kernel, false, false, m, n, k, 1f, a, k, b, wide, beta, c, wide, bias.AsSpan(0, n), GemmActivation.Relu);
                for (int i = 0; i < m; i++)
                    Assert.True(full.AsSpan(i * wide, n).SequenceEqual(c.AsSpan(i * wide, n)), $"{kernel} n={n} β={beta}: row {i} differs");
            }
        }
    }

    [Fact]
    public unsafe void PointerOverloadMatchesSpanOverload()
    {
        var rng = new Rng(8);
        int m = 29, n = 45, k = 61;
        var a = Approx.Random(rng, k * m);
        var b = Approx.Random(rng, k * n);
        var viaSpan = Approx.Random(rng, m * n);
        var viaPointer = (float[])viaSpan.Clone();
        Gemm.Sgemm(true, false, m, n, k, 0.5f, a, m, b, n, 2f, viaSpan, n);
        fixed (float* pa = a, pb = b, pc = viaPointer)
            Gemm.Sgemm(true, false, m, n, k, 0.5f, pa, m, pb, n, 2f, pc, n);
        Assert.Equal(viaSpan, viaPointer);
    }

    [Fact]
    public void RejectsBadSizesWithTheArgumentsName()
    {
        var buffer = new float[100];
        Assert.Equal("lda", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, 4, 4, 5, 1f, buffer, 4, buffer, 4, 0f, buffer, 4)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, 4, 5, 4, 1f, buffer, 4, buffer, 5, 0f, buffer, 4)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, -1, 4, 4, 1f, buffer, 4, buffer, 4, 0f, buffer, 4)).ParamName);
        var e = Assert.Throws<ArgumentException>(
            () => Gemm.Sgemm(false, false, 8, 8, 8, 1f, new float[63], 8, buffer, 8, 0f, buffer, 8));
        Assert.Equal("a", e.ParamName);
        Assert.Contains("needs 64", e.Message);
        Assert.Equal("b", Assert.Throws<ArgumentException>(
            () => Gemm.Sgemm(false, true, 2, 8, 8, 1f, buffer, 8, new float[60], 8, 0f, buffer, 8)).ParamName);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void BiasAndReluEpilogueMatchesReference(string kernelName)
    {
        var kernel = Parse(kernelName);
        // Edge tiles (13, 33, 35), narrow last panels (80 = 2·32 + 16), several K blocks (1030, 1500: the bias joins the
        // first block, ReLU the last), shapes split over two threads; β = 0, 1 and 0.5.
        (int M, int N, int K)[] shapes = [(13, 35, 7), (12, 32, 1), (36, 80, 19), (150, 40, 1030), (20, 50, 1500), (300, 301, 260), (97, 33, 3)];
        var rng = new Rng(17);
        foreach (int threads in new[] { 1, 2 })
            KernelSerialCollection.WithThreads(threads, () =>
            {
                foreach (var (m, n, k) in shapes)
                    for (int t = 0; t < 6; t++)
                    {
                        bool transA = t % 3 == 1, transB = t % 2 == 1;
                        float beta = (t % 3) switch { 0 => 0f, 1 => 1f, _ => 0.5f };
                        var activation = t < 3 ? GemmActivation.Relu : GemmActivation.None;
                        var a = Approx.Random(rng, m * k);
                        var b = Approx.Random(rng, k * n);
                        var bias = Approx.Random(rng, n);
                        var c = Approx.Random(rng, m * n);
                        var expected = (float[])c.Clone();
                        Gemm.Sgemm(kernel, transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, beta, c, n, bias, activation);
                        GemmReference.Sgemm(transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, beta, expected, n, bias, activation);
                        string what = $"{kernel} {m}×{n}×{k} β={beta} {activation}, {threads} threads";
                        Approx.Equal(expected, c, what, rtol: 1e-4f, atol: 2e-6f * k);
                        if (activation == GemmActivation.Relu) Assert.True(c.All(v => v >= 0), what + ": negative value after ReLU");
                    }
            });
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void BiasEpilogueGivesTheBitsOfABiasFilledBetaOneProductAndReluThoseOfTheReluKernel(string kernelName)
    {
        // What Dense relies on: y = ReLU(x·Wᵀ + b) in one call is bit for bit the old fill-then-β=1 product and ReLU pass.
        var kernel = Parse(kernelName);
        var rng = new Rng(23);
        foreach (var (m, n, k) in new[] { (500, 100, 200), (37, 45, 785), (12, 16, 3) })
        {
            var x = Approx.Random(rng, m * k);
            var w = Approx.Random(rng, n * k);
            var bias = Approx.Random(rng, n);
            var filled = new float[m * n];
            for (int i = 0; i < m; i++) bias.CopyTo(filled, i * n);
            Gemm.Sgemm(kernel, false, true, m, n, k, 1f, x, k, w, k, 1f, filled, n);
            var fused = Approx.Random(rng, m * n); // β = 0: C's old content must not matter
            Gemm.Sgemm(kernel, false, true, m, n, k, 1f, x, k, w, k, 0f, fused, n, bias, GemmActivation.None);
            Assert.Equal(filled, fused);
            var relu = new float[m * n];
            Activations.Relu(filled, relu);
            Gemm.Sgemm(kernel, false, true, m, n, k, 1f, x, k, w, k, 0f, fused, n, bias, GemmActivation.Relu);
            Assert.Equal(relu, fused);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AReadInPlaceGivesTheBitsOfPackedA(string kernelName)
    {
        // An untransposed A is read where it lies (full MR-row panels), a transposed one is packed: the same product
        // through both paths must agree bit for bit (same fused multiply-adds in the same order), including the
        // packed last panel (m not a multiple of MR), strides that force packing (lda = 256, 512; K = 203 leaves a tail of the 6×8 transposes) and padded rows.
        var kernel = Parse(kernelName);
        var rng = new Rng(29);
        foreach (var (m, n, k, lda) in new[] { (500, 70, 784, 784), (37, 33, 300, 301), (300, 40, 256, 256), (25, 64, 200, 512), (12, 16, 5, 5), (31, 20, 203, 256) })
            foreach (int threads in new[] { 1, 2 })
                KernelSerialCollection.WithThreads(threads, () =>
                {
                    var a = Approx.Random(rng, m * lda);
                    var at = new float[k * m];
                    for (int i = 0; i < m; i++)
                        for (int p = 0; p < k; p++) at[p * m + i] = a[i * lda + p];
                    var b = Approx.Random(rng, k * n);
                    var inPlace = new float[m * n];
                    var packed = new float[m * n];
                    Gemm.Sgemm(kernel, false, false, m, n, k, 1f, a, lda, b, n, 0f, inPlace, n);
                    Gemm.Sgemm(kernel, true, false, m, n, k, 1f, at, m, b, n, 0f, packed, n);
                    Assert.True(packed.AsSpan().SequenceEqual(inPlace), $"{kernel} {m}×{n}×{k} lda={lda}, {threads} threads");
                });
    }

    [Fact]
    public void EpilogueAppliesToAProductWithNoTermsAndKeepsNaN()
    {
        var c = new[] { 1f, -2, 3, -4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, 1f, c, 2, [0.5f, -10f], GemmActivation.Relu);
        Assert.Equal(new[] { 1.5f, 0, 3.5f, 0 }, c);
        var a = new[] { float.NaN, 1f };
        var b = new[] { 1f, 1f };
        var y = new float[1];
        Gemm.Sgemm(false, false, 1, 1, 2, 1f, a, 2, b, 1, 0f, y, 1, [1f], GemmActivation.Relu);
        Assert.True(float.IsNaN(y[0]));
    }

    [Fact]
    public void RejectsABiasOfTheWrongLength()
    {
        var buffer = new float[64];
        var e = Assert.Throws<ArgumentException>(
            () => Gemm.Sgemm(false, false, 4, 4, 4, 1f, buffer, 4, buffer, 4, 0f, buffer, 4, new float[3], GemmActivation.None));
        Assert.Equal("bias", e.ParamName);
        Assert.Contains("4 columns", e.Message);
    }

    private static int Pick(Rng rng) => rng.NextInt(3) == 0 ? s_edgeSizes[rng.NextInt(s_edgeSizes.Length)] : 1 + rng.NextInt(80);

    private static readonly (float Alpha, float Beta)[] s_alphaBeta = [(1f, 0f), (1f, 1f), (-1.5f, 0.25f), (0.5f, -1f), (2f, 1f)];

    /// <summary>Runs one random case, A/B/C with leading dimensions padded by <paramref name="pad"/>,
    /// and compares with the reference within the float32 error bound of a k-term dot product.</summary>
    private static void CheckCase(Gemm.MicroKernel kernel, Rng rng, bool transA, bool transB, int m, int n, int k,
        int pad, int alphaBeta)
    {
        var (alpha, beta) = s_alphaBeta[alphaBeta % s_alphaBeta.Length];
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = Approx.Random(rng, (transA ? k : m) * lda);
        var b = Approx.Random(rng, (transB ? n : k) * ldb);
        var c = Approx.Random(rng, m * ldc);
        var original = (float[])c.Clone();
        var expected = (float[])c.Clone();
        Gemm.Sgemm(kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        GemmReference.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);

        // Worst-case float32 bound for any summation order (Higham, "Accuracy and Stability of Numerical
        // Algorithms", §3.1): |error| ≤ (k + 2)·u·(|α|·Σ_p|a||b| + |β|·|c|), u = 2^-24.
        var absSum = new float[m * ldc];
        GemmReference.Sgemm(transA, transB, m, n, k, 1f, Abs(a), lda, Abs(b), ldb, 0f, absSum, ldc);
        string what = $"{kernel} {(transA ? "T" : "N")}{(transB ? "T" : "N")} m={m} n={n} k={k} pad={pad} α={alpha} β={beta}";
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int at = i * ldc + j;
                double bound = (k + 2) * Math.ScaleB(1, -24) * (Math.Abs(alpha) * absSum[at] + Math.Abs(beta) * Math.Abs(original[at])) + 1e-30;
                Assert.True(Math.Abs(c[at] - expected[at]) <= bound, $"{what}: C[{i},{j}] = {c[at]:G9}, expected {expected[at]:G9}");
            }
            // Padding between rows of C is not C: it must be left as it was.
            Assert.True(expected.AsSpan(i * ldc + n, pad).SequenceEqual(c.AsSpan(i * ldc + n, pad)), what + ": padding written");
        }
    }

    private static float[] Abs(float[] values) => Array.ConvertAll(values, MathF.Abs);

    private static float[] Integers(Rng rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = rng.NextInt(9) - 4;
        return values;
    }
}

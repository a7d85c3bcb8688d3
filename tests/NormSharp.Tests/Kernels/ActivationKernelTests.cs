using System.Runtime.Intrinsics;
using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="Activations"/> against <see cref="ActivationReference"/> at every length 0…300 (vector
/// bodies and scalar tails), with zeros, NaN and large magnitudes mixed in, and in place.</summary>
[Collection(KernelSerialCollection.Name)]
public class ActivationKernelTests
{
    private delegate void Forward(ReadOnlySpan<float> x, Span<float> y);
    private delegate void Backward(ReadOnlySpan<float> xOrY, ReadOnlySpan<float> dy, Span<float> dx);

    private static readonly (string Name, Forward Fast, Forward Slow, Backward FastBack, Backward SlowBack, bool BackFromOutput)[] s_cases =
    [
        ("relu", Activations.Relu, ActivationReference.Relu, Activations.ReluBackward, ActivationReference.ReluBackward, true),
        ("leaky", (x, y) => Activations.LeakyRelu(x, 0.01f, y), (x, y) => ActivationReference.LeakyRelu(x, 0.01f, y),
            (x, d, g) => Activations.LeakyReluBackward(x, d, 0.01f, g), (x, d, g) => ActivationReference.LeakyReluBackward(x, d, 0.01f, g), false),
        ("elu", (x, y) => Activations.Elu(x, 1f, 1f, y), (x, y) => ActivationReference.Elu(x, 1f, 1f, y),
            (x, d, g) => Activations.EluBackward(x, d, 1f, 1f, g), (x, d, g) => ActivationReference.EluBackward(x, d, 1f, 1f, g), false),
        ("selu", (x, y) => Activations.Elu(x, ActivationReference.SeluAlpha, ActivationReference.SeluScale, y),
            (x, y) => ActivationReference.Elu(x, ActivationReference.SeluAlpha, ActivationReference.SeluScale, y),
            (x, d, g) => Activations.EluBackward(x, d, ActivationReference.SeluAlpha, ActivationReference.SeluScale, g),
            (x, d, g) => ActivationReference.EluBackward(x, d, ActivationReference.SeluAlpha, ActivationReference.SeluScale, g), false),
        ("sigmoid", Activations.Sigmoid, ActivationReference.Sigmoid, Activations.SigmoidBackward, ActivationReference.SigmoidBackward, true),
        ("tanh", Activations.Tanh, ActivationReference.Tanh, Activations.TanhBackward, ActivationReference.TanhBackward, true),
    ];

    public static TheoryData<string> Names() => new(s_cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesReferenceAtEveryLength(string name)
    {
        var c = s_cases.Single(k => k.Name == name);
        var rng = new Rng(11);
        for (int n = 0; n <= 300; n++)
        {
            var x = Inputs(rng, n);
            var dy = Approx.Random(rng, n);
            float[] fast = new float[n], slow = new float[n];
            c.Fast(x, fast);
            c.Slow(x, slow);
            Approx.Equal(slow, fast, $"{name} forward n={n}", rtol: 1e-5f, atol: 1e-6f);

            var source = c.BackFromOutput ? slow : x;
            float[] fastGrad = new float[n], slowGrad = new float[n];
            c.FastBack(source, dy, fastGrad);
            c.SlowBack(source, dy, slowGrad);
            Approx.Equal(slowGrad, fastGrad, $"{name} backward n={n}", rtol: 1e-5f, atol: 1e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void LargeSpansSplitOverThreadsGiveTheSameValues(string name)
    {
        // 100,003 values: several ranges over the worker pool at 2 threads, one pass at 1 thread; an
        // element-wise result must not depend on where the ranges are cut. Also against the reference.
        var c = s_cases.Single(k => k.Name == name);
        var rng = new Rng(17);
        var x = Inputs(rng, 100_003);
        var dy = Approx.Random(rng, x.Length);
        float[] RunForward(int threads)
        {
            var y = new float[x.Length];
            KernelSerialCollection.WithThreads(threads, () => c.Fast(x, y));
            return y;
        }
        float[] RunBackward(int threads, float[] source)
        {
            var g = new float[x.Length];
            KernelSerialCollection.WithThreads(threads, () => c.FastBack(source, dy, g));
            return g;
        }
        float[] one = RunForward(1), two = RunForward(2), slow = new float[x.Length];
        Assert.Equal(one, two);
        c.Slow(x, slow);
        Approx.Equal(slow, two, $"{name} forward", rtol: 1e-5f, atol: 1e-6f);
        var source = c.BackFromOutput ? slow : x;
        Assert.Equal(RunBackward(1, source), RunBackward(2, source));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void WorksInPlace(string name)
    {
        var c = s_cases.Single(k => k.Name == name);
        var x = Inputs(new Rng(3), 77);
        var expected = new float[x.Length];
        c.Slow(x, expected);
        c.Fast(x, x);
        Approx.Equal(expected, x, $"{name} in place", rtol: 1e-5f, atol: 1e-6f);
    }

    [Fact]
    public void SigmoidOfAValueDoesNotDependOnWhereItFallsInTheSpan()
    {
        // Vector bodies and the scalar tail give the same bits (the tail is the vector form on one lane), so a fused
        // run over one plane or strip agrees with the pass over the whole tensor.
        var x = Inputs(new Rng(23), 97);
        var whole = new float[x.Length];
        Activations.Sigmoid(x, whole);
        for (int start = 0; start < 40; start++)
            for (int length = 1; start + length <= x.Length; length += 7)
            {
                var part = new float[length];
                Activations.Sigmoid(x.AsSpan(start, length), part);
                Assert.Equal(whole.AsSpan(start, length).ToArray(), part);
            }
    }

    [Fact]
    public void ExpScalesByThePowerOfTwoAsTheExponentBitsDo()
    {
        // FastExp's e·2ⁿ: vscalefps where AVX-512 has it, else a multiply by 2ⁿ built in the exponent bits. Both must be
        // the same correctly rounded product for every n the clamp allows, normal and subnormal results alike, so
        // activations give the same bits on either kind of machine.
        var rng = new Rng(31);
        var values = new float[16];
        for (int n = -126; n <= 127; n++)
            for (int trial = 0; trial < 64; trial++)
            {
                for (int l = 0; l < 16; l++) values[l] = 0.70f + 0.72f * rng.NextFloat(); // e = p(r) + 1 lies in [e^(-ln2/2), e^(ln2/2)]
                var e = Vector512.Create(values);
                var power = Vector512.Create((float)n);
                var expected = FastExp.TimesExponentBits(e, power);
                var actual = FastExp.TimesPowerOfTwo(e, power);
                for (int l = 0; l < 16; l++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[l]) == BitConverter.SingleToInt32Bits(actual[l]),
                        $"{values[l]:R}·2^{n}: {actual[l]:R}, exponent bits {expected[l]:R}");
            }
    }

    [Fact]
    public void ReluKeepsNaNAndHasZeroDerivativeAtZero()
    {
        float[] x = [float.NaN, 0f, -0f, -1f, 2f, float.NegativeInfinity, float.PositiveInfinity, 3f, -3f, 0f, 1f, 1f, 1f, 1f, 1f, 1f, 1f];
        var y = new float[x.Length];
        Activations.Relu(x, y);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal([0f, 0f, 0f, 2f, 0f, float.PositiveInfinity, 3f, 0f], y[1..9]);
        var dx = new float[x.Length];
        Activations.ReluBackward(y, Enumerable.Repeat(1f, x.Length).ToArray(), dx);
        Assert.Equal(0f, dx[1]);
        Assert.Equal(1f, dx[4]);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Activations.Relu(new float[4], new float[3]));
        Assert.Throws<ArgumentException>(() => Activations.SigmoidBackward(new float[4], new float[4], new float[5]));
    }

    /// <summary>Uniform values in [−6, 6] with zeros, and large magnitudes where the exponential saturates.</summary>
    private static float[] Inputs(Rng rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (i % 17) switch { 3 => 0f, 5 => -40f, 7 => 40f, _ => rng.NextUniform(-6f, 6f) };
        return x;
    }
}

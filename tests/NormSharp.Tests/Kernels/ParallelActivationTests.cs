using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary>
/// Sigmoid and tanh over spans long enough to be split over threads (<see cref="Activations.ParallelGrain"/>):
/// the same bits at 1 and 2 threads, in place as well, and the reference's values.
/// </summary>
[Collection(KernelSerialCollection.Name)]
public class ParallelActivationTests
{
    private delegate void Forward(ReadOnlySpan<float> x, Span<float> y);

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "sigmoid", "tanh" })
            foreach (int n in new[] { 2 * Activations.ParallelGrain + 37, 300_001 })
                data.Add(name, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameBitsAtAnyThreadCountAndInPlace(string name, int n)
    {
        (Forward fast, Forward slow) = name == "sigmoid"
            ? ((Forward)Activations.Sigmoid, (Forward)ActivationReference.Sigmoid)
            : (Activations.Tanh, ActivationReference.Tanh);
        var x = new float[n];
        var rng = new Rng(21);
        for (int i = 0; i < n; i++) x[i] = rng.NextUniform(-8f, 8f);
        float[] Run(int threads)
        {
            var y = new float[n];
            KernelSerialCollection.WithThreads(threads, () =>
            {
                Assert.Equal(threads > 1, ParallelRunner.ChunksFor(n, Activations.ParallelGrain) > 1); // really split
                fast(x, y);
            });
            return y;
        }

        var one = Run(1);
        Assert.Equal(one, Run(2));
        var inPlace = (float[])x.Clone();
        KernelSerialCollection.WithThreads(2, () => fast(inPlace, inPlace));
        Assert.Equal(one, inPlace);
        var expected = new float[n];
        slow(x, expected);
        Approx.Equal(expected, one, name, rtol: 1e-5f, atol: 1e-6f);
    }
}

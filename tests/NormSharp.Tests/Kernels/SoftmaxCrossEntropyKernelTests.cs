using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="SoftmaxCrossEntropy"/> against the double-precision <see cref="SoftmaxCrossEntropyReference"/>.</summary>
public class SoftmaxCrossEntropyKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(7, 3)]
    [InlineData(33, 10)]
    [InlineData(500, 10)]
    [InlineData(5, 37)]
    public void MatchesReference(int rows, int classes)
    {
        var rng = new Rng((ulong)(rows * 100 + classes));
        var logits = Approx.Random(rng, rows * classes).Select(v => 8 * v).ToArray();
        var labels = Enumerable.Range(0, rows).Select(_ => (float)rng.NextInt(classes)).ToArray();
        float[] fast = new float[logits.Length], slow = new float[logits.Length];
        float lossFast = SoftmaxCrossEntropy.Compute(logits, rows, classes, labels, fast);
        float lossSlow = SoftmaxCrossEntropyReference.Compute(logits, rows, classes, labels, slow);
        Assert.Equal(lossSlow, lossFast, 1e-5f * MathF.Max(1, lossSlow));
        Approx.Equal(slow, fast, "gradient", rtol: 1e-5f, atol: 1e-8f);
    }

    [Fact]
    public void HugeLogitsDoNotOverflow()
    {
        float[] logits = [1000f, 0f, -1000f, 3e38f, 3e38f, -3e38f];
        float[] labels = [0f, 1f];
        var grad = new float[6];
        float loss = SoftmaxCrossEntropy.Compute(logits, 2, 3, labels, grad);
        // Row 0: the right class dominates (loss ≈ 0); row 1: two tied classes, the label is one of them (loss = ln 2).
        Assert.Equal(MathF.Log(2) / 2, loss, 1e-5f);
        Assert.All(grad, g => Assert.True(float.IsFinite(g)));
        Assert.Equal(0.25f, grad[3], 1e-6f);
        Assert.Equal(-0.25f, grad[4], 1e-6f);
    }

    [Theory]
    [InlineData(3f)]
    [InlineData(-1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void InvalidLabelsAreRejectedWithTheRow(float label)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SoftmaxCrossEntropy.Compute(new float[6], 2, 3, [0f, label], new float[6]));
        Assert.Contains("row 1", e.Message);
    }
}

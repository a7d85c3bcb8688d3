using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>BatchNorm1d/2d against the paper's formulas computed in the test, PyTorch's semantics
/// (biased variance to normalise, unbiased in running_var, momentum and cumulative averages), errors,
/// eval mode and state names.</summary>
public class BatchNormLayerTests
{
    public static TheoryData<int[]> Shapes() => new() { new[] { 8, 5 }, new[] { 4, 3, 6 }, new[] { 3, 4, 5, 5 } };

    private static BatchNormBase Create(int[] shape, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool track = true) =>
        shape.Length == 4
            ? new BatchNorm2d(shape[1], eps, momentum, affine, track)
            : new BatchNorm1d(shape[1], eps, momentum, affine, track);

    private static (int N, int C, int S) Layout(int[] shape) =>
        (shape[0], shape[1], shape.Length == 2 ? 1 : shape.Skip(2).Aggregate(1, (a, b) => a * b));

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingMatchesThePaperForwardBackwardAndRunningStatistics(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        var bn = Create(shape);
        var gamma = BatchNormKernelTests.RandomArray(c, 1, offset: 1f, scale: 0.5f);
        var beta = BatchNormKernelTests.RandomArray(c, 2, scale: 0.5f);
        gamma.CopyTo(bn.WeightParameter!.Value.Span);
        beta.CopyTo(bn.BiasParameter!.Value.Span);
        var runMean = new double[c];
        var runVar = Enumerable.Repeat(1.0, c).ToArray();
        double m = (double)n * s;
        for (int step = 0; step < 3; step++)
        {
            var x = BatchNormKernelTests.RandomArray(n * c * s, (ulong)(10 + step), offset: 0.5f + step, scale: 2f);
            var dy = BatchNormKernelTests.RandomArray(n * c * s, (ulong)(20 + step));
            var y = bn.Forward(Tensor.FromArray(x, shape));
            var (mean, variance) = PaperBatchNorm.Moments(x, n, c, s);
            var expected = PaperBatchNorm.Normalize(x, n, c, s, mean, variance, gamma, beta, 1e-5);
            AssertClose(expected, y.Span, 1e-5, 1e-5, $"y step {step}");
            for (int i = 0; i < c; i++)
            {
                runMean[i] = 0.9 * runMean[i] + 0.1 * mean[i];
                runVar[i] = 0.9 * runVar[i] + 0.1 * variance[i] * m / (m - 1); // unbiased into running_var
            }
            AssertClose(runMean, bn.RunningMean!.Span, 1e-5, 1e-6, "running_mean");
            AssertClose(runVar, bn.RunningVar!.Span, 1e-5, 1e-6, "running_var");
            Assert.Equal(step + 1, bn.NumBatchesTracked!.Span[0]);

            bn.ZeroGrad();
            var dx = bn.Backward(Tensor.FromArray(dy, shape));
            var (edx, edGamma, edBeta) = PaperBatchNorm.Backward(x, dy, n, c, s, gamma, 1e-5);
            AssertClose(edx, dx.Span, 1e-4, 1e-5, "dx");
            AssertClose(edGamma, bn.WeightParameter.Grad.Span, 1e-4, 1e-5, "dweight");
            AssertClose(edBeta, bn.BiasParameter.Grad.Span, 1e-5, 1e-5, "dbias");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EvalUsesRunningStatisticsAndTheSimpleBackward(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        var bn = Create(shape);
        var rm = BatchNormKernelTests.RandomArray(c, 3);
        var rv = BatchNormKernelTests.RandomArray(c, 4, offset: 2f);
        var gamma = BatchNormKernelTests.RandomArray(c, 5, offset: 1f);
        rm.CopyTo(bn.RunningMean!.Span);
        rv.CopyTo(bn.RunningVar!.Span);
        gamma.CopyTo(bn.WeightParameter!.Value.Span);
        bn.Eval();
        var x = BatchNormKernelTests.RandomArray(n * c * s, 6, scale: 3f);
        var y = bn.Forward(Tensor.FromArray(x, shape));
        var beta = new float[c];
        var expected = PaperBatchNorm.Normalize(x, n, c, s, Array.ConvertAll(rm, v => (double)v), Array.ConvertAll(rv, v => (double)v), gamma, beta, 1e-5);
        AssertClose(expected, y.Span, 1e-5, 1e-6, "eval y");
        Assert.Equal(0f, bn.NumBatchesTracked!.Span[0]); // eval never updates the statistics
        Assert.Equal(rm, bn.RunningMean.ToArray());

        var dy = BatchNormKernelTests.RandomArray(n * c * s, 7);
        bn.ZeroGrad();
        var dx = bn.Backward(Tensor.FromArray(dy, shape));
        var edx = new double[dy.Length];
        for (int j = 0; j < dy.Length; j++)
        {
            int ch = j / s % c;
            edx[j] = dy[j] * gamma[ch] / Math.Sqrt(rv[ch] + 1e-5);
        }
        AssertClose(edx, dx.Span, 1e-5, 1e-6, "eval dx");
        var dGamma = new double[c];
        for (int j = 0; j < dy.Length; j++)
        {
            int ch = j / s % c;
            dGamma[ch] += dy[j] * (x[j] - rm[ch]) / Math.Sqrt(rv[ch] + 1e-5);
        }
        AssertClose(dGamma, bn.WeightParameter.Grad.Span, 1e-4, 1e-5, "eval dweight");
    }

    [Fact]
    public void CumulativeAverageWhenMomentumIsNull()
    {
        var bn = new BatchNorm1d(3, momentum: null);
        var batches = Enumerable.Range(0, 4).Select(i => BatchNormKernelTests.RandomArray(6 * 3, (ulong)(30 + i), offset: i, scale: 1 + i)).ToArray();
        foreach (var b in batches) bn.Forward(Tensor.FromArray(b, 6, 3));
        for (int ch = 0; ch < 3; ch++)
        {
            // Cumulative moving average: the plain mean of the per-batch statistics.
            double mean = batches.Average(b => PaperBatchNorm.Moments(b, 6, 3, 1).Mean[ch]);
            double variance = batches.Average(b => PaperBatchNorm.Moments(b, 6, 3, 1).Var[ch] * 6 / 5);
            Assert.Equal(mean, bn.RunningMean!.Span[ch], 1e-5);
            Assert.Equal(variance, bn.RunningVar!.Span[ch], 1e-5);
        }
        Assert.Equal(4f, bn.NumBatchesTracked!.Span[0]);
    }

    [Fact]
    public void OneValuePerChannelInTrainingIsAnError()
    {
        var bn = new BatchNorm1d(3);
        var ex = Assert.Throws<InvalidOperationException>(() => bn.Forward(Tensor.Zeros(1, 3)));
        Assert.Equal("Expected more than 1 value per channel when training, got input size [1, 3]", ex.Message);
        Assert.Throws<InvalidOperationException>(() => new BatchNorm2d(2).Forward(Tensor.Zeros(1, 2, 1, 1)));
        // A single sample is fine when it has several values per channel, and in eval mode.
        new BatchNorm2d(2).Forward(Tensor.Zeros(1, 2, 2, 1));
        bn.Eval();
        bn.Forward(Tensor.Zeros(1, 3));
        // Without running statistics eval mode uses the batch too, so the error stays.
        var untracked = new BatchNorm1d(3, trackRunningStats: false);
        untracked.Eval();
        Assert.Throws<InvalidOperationException>(() => untracked.Forward(Tensor.Zeros(1, 3)));
    }

    [Fact]
    public void WithoutTrackingBatchStatisticsAreUsedInEvalAndNoBuffersExist()
    {
        var bn = new BatchNorm1d(4, trackRunningStats: false);
        Assert.Null(bn.RunningMean);
        Assert.Equal(["weight", "bias"], bn.StateDict().Keys);
        var x = BatchNormKernelTests.RandomArray(5 * 4, 8, offset: 3f);
        var train = bn.Forward(Tensor.FromArray(x, 5, 4)).ToArray();
        bn.Eval();
        var eval = bn.Forward(Tensor.FromArray(x, 5, 4)).ToArray();
        Assert.Equal(train, eval);
    }

    [Fact]
    public void StateDictUsesPyTorchNamesAndDefaults()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);
        Assert.Equal(0, bn.NumBatchesTracked!.Rank);
        Assert.Equal([1f, 1f, 1f], bn.WeightParameter!.Value.ToArray());
        Assert.Equal([0f, 0f, 0f], bn.BiasParameter!.Value.ToArray());
        Assert.Equal([1f, 1f, 1f], bn.RunningVar!.ToArray());
        Assert.Equal((3, 1e-5f, (float?)0.1f, true, true), (bn.NumFeatures, bn.Eps, bn.Momentum, bn.Affine, bn.TrackRunningStats));
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], new BatchNorm1d(2, affine: false).StateDict().Keys);
        Assert.Empty(new BatchNorm1d(2, affine: false).NamedParameters());
        var inner = new Sequential(new BatchNorm1d(2), new BatchNorm1d(2));
        Assert.Contains("1.running_var", inner.StateDict().Keys);
    }

    [Fact]
    public void BadInputsAreExplained()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BatchNorm1d(4).Forward(Tensor.Zeros(2, 3)));
        Assert.Contains("3 channels", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new BatchNorm2d(4).Forward(Tensor.Zeros(2, 4)));
        Assert.Contains("expected 4D input", ex.Message);
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(4).Forward(Tensor.Zeros(2, 4, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(4, momentum: 0.99f * 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(0));
    }

    [Fact]
    public void KerasMomentumIsOneMinusOurs()
    {
        // Documented equivalence: Keras momentum 0.99 (weight of the old value) = PyTorch 0.01.
        var bn = new BatchNorm1d(1, momentum: 0.01f);
        bn.Forward(Tensor.FromArray([1f, 3f], 2, 1)); // batch mean 2, unbiased variance 2
        Assert.Equal(0.99 * 0 + 0.01 * 2, bn.RunningMean!.Span[0], 1e-7);
        Assert.Equal(0.99 * 1 + 0.01 * 2, bn.RunningVar!.Span[0], 1e-6);
    }

    internal static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (!(diff <= rtol * Math.Abs(expected[i]) + atol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {diff:E2})");
        }
    }
}

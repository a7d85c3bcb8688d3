using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>Batch Renorm and Ghost BN against plain BN, and their defining formulas.</summary>
public class BatchNormVariantTests
{
    [Theory]
    [InlineData(new[] { 8, 5 })]
    [InlineData(new[] { 3, 4, 5, 5 })]
    public void RenormWithUnitClippingEqualsBatchNorm(int[] shape)
    {
        BatchNormBase bn = shape.Length == 4 ? new BatchNorm2d(shape[1]) : new BatchNorm1d(shape[1]);
        BatchNormBase renorm = shape.Length == 4
            ? new BatchRenorm2d(shape[1], rMax: 1f, dMax: 0f)
            : new BatchRenorm1d(shape[1], rMax: 1f, dMax: 0f);
        AssertSameTraining(bn, renorm, shape, steps: 3);
    }

    [Fact]
    public void RenormAppliesClippedCorrectionAndTracksItsMovingAverages()
    {
        var renorm = new BatchRenorm1d(1, rMax: 2f, dMax: 0.5f, renormMomentum: 0.5f);
        renorm.RenormMean.Fill(1f);
        renorm.RenormStd.Fill(4f);
        float[] x = [0f, 2f, 4f, 6f]; // μ_B = 3, σ²_B = 5
        var y = renorm.Forward(Tensor.FromArray(x, 4, 1)).ToArray();
        double sigmaB = Math.Sqrt(5 + 1e-5);
        double r = Math.Clamp(sigmaB / 4, 0.5, 2);           // 0.559
        double d = Math.Clamp((3 - 1) / 4.0, -0.5, 0.5);     // 0.5 (clipped)
        for (int i = 0; i < 4; i++) Assert.Equal((x[i] - 3) / sigmaB * r + d, y[i], 1e-5);
        Assert.Equal(0.5 * 1 + 0.5 * 3, renorm.RenormMean.Span[0], 1e-6);
        Assert.Equal(0.5 * 4 + 0.5 * sigmaB, renorm.RenormStd.Span[0], 1e-5);
        Assert.Equal(1f, renorm.RenormSteps.Span[0]);
        Assert.Contains("renorm_std", renorm.StateDict().Keys);
    }

    [Fact]
    public void RenormBackwardTreatsRAndDAsConstants()
    {
        // Unclipped r and d: the input gradient is BN's with γ replaced by γ·r (r a constant), and
        // dγ = Σ dy·(x̂·r + d).
        const int n = 7, c = 3;
        var renorm = new BatchRenorm1d(c, rMax: 10f, dMax: 10f);
        BatchNormGradientTests.RandomiseAffine(renorm);
        renorm.RenormMean.Fill(0.2f);
        renorm.RenormStd.Fill(1.3f);
        var x = BatchNormKernelTests.RandomArray(n * c, 80, scale: 2f);
        var dy = BatchNormKernelTests.RandomArray(n * c, 81);
        var gamma = renorm.WeightParameter!.Value.ToArray();
        var (mean, variance) = PaperBatchNorm.Moments(x, n, c, 1);
        var r = new double[c];
        var d = new double[c];
        for (int i = 0; i < c; i++)
        {
            r[i] = Math.Sqrt(variance[i] + 1e-5) / 1.3;
            d[i] = (mean[i] - 0.2) / 1.3;
        }
        renorm.Forward(Tensor.FromArray(x, n, c));
        renorm.ZeroGrad();
        var dx = renorm.Backward(Tensor.FromArray(dy, n, c));
        var scaled = gamma.Select((g, i) => (float)(g * r[i])).ToArray();
        var (edx, _, edBeta) = PaperBatchNorm.Backward(x, dy, n, c, 1, scaled, 1e-5);
        BatchNormLayerTests.AssertClose(edx, dx.Span, 1e-4, 1e-5, "dx");
        var edGamma = new double[c];
        for (int j = 0; j < x.Length; j++)
        {
            int i = j % c;
            edGamma[i] += dy[j] * ((x[j] - mean[i]) / Math.Sqrt(variance[i] + 1e-5) * r[i] + d[i]);
        }
        BatchNormLayerTests.AssertClose(edGamma, renorm.WeightParameter.Grad.Span, 1e-4, 1e-5, "dweight");
        BatchNormLayerTests.AssertClose(edBeta, renorm.BiasParameter!.Grad.Span, 1e-5, 1e-5, "dbias");
    }

    [Fact]
    public void RenormWarmupStartsAsBatchNorm()
    {
        var renorm = new BatchRenorm1d(2, rMax: 3f, dMax: 5f, warmupSteps: 100);
        var bn = new BatchNorm1d(2);
        renorm.RenormStd.Fill(10f); // far from the batch: r and d would be clipped hard without warm-up
        var x = Tensor.FromArray(BatchNormKernelTests.RandomArray(12, 1, offset: 2f), 6, 2);
        Assert.Equal(bn.Forward(x).ToArray(), renorm.Forward(x).ToArray()); // step 0: limits (1, 0)
    }

    [Theory]
    [InlineData(new[] { 6, 3 })]
    [InlineData(new[] { 4, 2, 3, 3 })]
    public void GhostWithTheWholeBatchEqualsBatchNorm(int[] shape)
    {
        BatchNormBase bn = shape.Length == 4 ? new BatchNorm2d(shape[1]) : new BatchNorm1d(shape[1]);
        BatchNormBase ghost = shape.Length == 4
            ? new GhostBatchNorm2d(shape[1], virtualBatchSize: shape[0])
            : new GhostBatchNorm1d(shape[1], virtualBatchSize: shape[0]);
        AssertSameTraining(bn, ghost, shape, steps: 3);
    }

    [Fact]
    public void GhostNormalisesEachVirtualBatchOnItsOwn()
    {
        const int c = 3, v = 4, groups = 3;
        var ghost = new GhostBatchNorm1d(c, virtualBatchSize: v, momentum: 0.1f);
        var x = BatchNormKernelTests.RandomArray(groups * v * c, 5, offset: 1f, scale: 2f);
        var dy = BatchNormKernelTests.RandomArray(groups * v * c, 6);
        var y = ghost.Forward(Tensor.FromArray(x, groups * v, c)).ToArray();
        var dx = ghost.Backward(Tensor.FromArray(dy, groups * v, c)).ToArray();
        var ones = Enumerable.Repeat(1f, c).ToArray();
        var zeros = new float[c];
        var expectedMean = new double[c];
        var expectedVar = new double[c];
        for (int g = 0; g < groups; g++)
        {
            var xs = x[(g * v * c)..((g + 1) * v * c)];
            var dys = dy[(g * v * c)..((g + 1) * v * c)];
            var (mean, variance) = PaperBatchNorm.Moments(xs, v, c, 1);
            BatchNormLayerTests.AssertClose(PaperBatchNorm.Normalize(xs, v, c, 1, mean, variance, ones, zeros, 1e-5),
                y.AsSpan(g * v * c, v * c), 1e-5, 1e-5, $"y group {g}");
            BatchNormLayerTests.AssertClose(PaperBatchNorm.Backward(xs, dys, v, c, 1, ones, 1e-5).Dx,
                dx.AsSpan(g * v * c, v * c), 1e-4, 1e-5, $"dx group {g}");
            for (int i = 0; i < c; i++)
            {
                expectedMean[i] += 0.1 * mean[i] / groups;
                expectedVar[i] += 0.1 * variance[i] * v / (v - 1) / groups;
            }
        }
        for (int i = 0; i < c; i++) expectedVar[i] += 0.9;
        BatchNormLayerTests.AssertClose(expectedMean, ghost.RunningMean!.Span, 1e-5, 1e-6, "running_mean");
        BatchNormLayerTests.AssertClose(expectedVar, ghost.RunningVar!.Span, 1e-5, 1e-6, "running_var");
    }

    [Fact]
    public void GhostRejectsABatchThatIsNotAMultiple()
    {
        var ghost = new GhostBatchNorm1d(2, virtualBatchSize: 4);
        var ex = Assert.Throws<ArgumentException>(() => ghost.Forward(Tensor.Zeros(6, 2)));
        Assert.Contains("multiple of the virtual batch size 4", ex.Message);
        Assert.Throws<InvalidOperationException>(() => new GhostBatchNorm1d(2, virtualBatchSize: 1).Forward(Tensor.Zeros(4, 2)));
    }

    private static void AssertSameTraining(BatchNormBase expected, BatchNormBase actual, int[] shape, int steps)
    {
        BatchNormGradientTests.RandomiseAffine(expected);
        BatchNormGradientTests.RandomiseAffine(actual);
        int size = shape.Aggregate(1, (a, b) => a * b);
        for (int step = 0; step < steps; step++)
        {
            var x = Tensor.FromArray(BatchNormKernelTests.RandomArray(size, (ulong)(40 + step), offset: step, scale: 2f), shape);
            var dy = Tensor.FromArray(BatchNormKernelTests.RandomArray(size, (ulong)(50 + step)), shape);
            BatchNormKernelTests.AssertClose(expected.Forward(x).Span, actual.Forward(x).Span, 1e-6, 1e-6, "y");
            expected.ZeroGrad();
            actual.ZeroGrad();
            BatchNormKernelTests.AssertClose(expected.Backward(dy).Span, actual.Backward(dy).Span, 1e-6, 1e-6, "dx");
            BatchNormKernelTests.AssertClose(expected.WeightParameter!.Grad.Span, actual.WeightParameter!.Grad.Span, 1e-6, 1e-6, "dweight");
            BatchNormKernelTests.AssertClose(expected.RunningMean!.Span, actual.RunningMean!.Span, 1e-6, 1e-7, "running_mean");
            BatchNormKernelTests.AssertClose(expected.RunningVar!.Span, actual.RunningVar!.Span, 1e-6, 1e-7, "running_var");
        }
        expected.Eval();
        actual.Eval();
        var probe = Tensor.FromArray(BatchNormKernelTests.RandomArray(size, 60), shape);
        BatchNormKernelTests.AssertClose(expected.Forward(probe).Span, actual.Forward(probe).Span, 1e-6, 1e-6, "eval y");
    }
}

using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Tests.Kernels;
using NormSharp.Tests.Layers;
using static NormSharp.Tests.Normalization.BatchNormKernelTests;

namespace NormSharp.Tests.Normalization;

/// <summary>BN with its activation fused (<see cref="FusedActivation"/>): the kernel applies ReLU or the sigmoid to each
/// strip or plane while it is in cache, and <see cref="Sequential"/> fuses a BatchNorm with the ReLU or Sigmoid after it.
/// Both must give the bits of the activation run afterwards, and the fused pair's backward the bits of the layers run one
/// by one.</summary>
[Collection(KernelSerialCollection.Name)]
public class BatchNormFusedActivationTests
{
    [Theory]
    [MemberData(nameof(BatchNormFusedKernelTests.Shapes), MemberType = typeof(BatchNormFusedKernelTests))]
    public void ForwardWithAnActivationGivesTheBitsOfTheActivationAfterwards(int n, int c, int s)
    {
        // The activation runs on each strip or plane inside the kernel; the values must be those of the whole-tensor pass.
        var x = RandomArray(n * c * s, 41, offset: 0.5f, scale: 2f);
        var gamma = RandomArray(c, 42, offset: 1f);
        var beta = RandomArray(c, 43);
        foreach (var activation in new[] { FusedActivation.Relu, FusedActivation.Sigmoid })
            foreach (int threads in new[] { 1, 2 })
                KernelSerialCollection.WithThreads(threads, () =>
                {
                    var (mean, m2, invstd, alpha, shift) = (new double[c], new double[c], new double[c], new float[c], new float[c]);
                    var (expected, fused) = (new float[x.Length], new float[x.Length]);
                    BatchNorm.ForwardTraining(x, n, c, s, gamma, beta, 1e-5, mean, m2, invstd, alpha, shift, expected);
                    Activations.Apply(activation, expected, expected);
                    BatchNorm.ForwardTraining(x, n, c, s, gamma, beta, 1e-5, mean, m2, invstd, alpha, shift, fused, activation);
                    Assert.Equal(expected, fused);
                });
    }

    [Theory]
    [InlineData(5, 3, 8, 8)]
    [InlineData(9, 6, 28, 28)]   // LeNet's first BN, several parties' planes
    [InlineData(7, 16, 10, 10)]  // LeNet's second: rows of 10, outputs of 5
    [InlineData(3, 2, 6, 4)]     // rectangular planes
    [InlineData(2, 3, 2, 2)]     // one window per plane
    [InlineData(3, 2, 4, 36)]    // rows of 36: a whole 32-column step and a partial one
    public void ForwardWithPoolingGivesTheBitsOfThePoolingAfterwards(int n, int c, int h, int w)
    {
        // Each plane is pooled inside the kernel right after its affine map and activation; the values must be those of
        // Pooling.AvgForward over the whole result, and y itself must be unchanged.
        var x = RandomArray(n * c * h * w, 44, offset: 0.5f, scale: 2f);
        var gamma = RandomArray(c, 45, offset: 1f);
        var beta = RandomArray(c, 46);
        var geometry = new Pool2dGeometry(n, c, h, w, 2, 2);
        foreach (var activation in new[] { FusedActivation.None, FusedActivation.Relu, FusedActivation.Sigmoid })
            foreach (int threads in new[] { 1, 2 })
                KernelSerialCollection.WithThreads(threads, () =>
                {
                    var (mean, m2, invstd, alpha, shift) = (new double[c], new double[c], new double[c], new float[c], new float[c]);
                    var (y, expected) = (new float[x.Length], new float[geometry.OutputSize]);
                    BatchNorm.ForwardTraining(x, n, c, h * w, gamma, beta, 1e-5, mean, m2, invstd, alpha, shift, y, activation);
                    Pooling.AvgForward(geometry, y, expected);
                    var (yFused, pooled) = (new float[x.Length], new float[geometry.OutputSize]);
                    BatchNorm.ForwardTraining(x, n, c, h * w, gamma, beta, 1e-5, mean, m2, invstd, alpha, shift, yFused, activation, pooled, w);
                    Assert.Equal(y, yFused);
                    Assert.Equal(expected, pooled);
                });
    }

    [Fact]
    public void PoolingThatIsNotAnEvenTwoByTwoIsRejected()
    {
        var (mean, m2, invstd, alpha, shift) = (new double[2], new double[2], new double[2], new float[2], new float[2]);
        var x = RandomArray(2 * 2 * 6 * 5, 47);
        var y = new float[x.Length];
        // Planes of 6 × 5 (an odd width), then planes of 6 × 4 with a pooled buffer of the wrong size.
        var odd = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTraining(x, 2, 2, 30, default, default, 1e-5, mean, m2, invstd,
            alpha, shift, y, FusedActivation.None, new float[2 * 2 * 3 * 2], 5));
        Assert.Contains("even height and width", odd.Message);
        var size = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTraining(x.AsSpan(0, 2 * 2 * 24), 2, 2, 24, default, default, 1e-5,
            mean, m2, invstd, alpha, shift, y.AsSpan(0, 2 * 2 * 24), FusedActivation.None, new float[10], 4));
        Assert.Contains("pooled holds 10 values", size.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void FusedBatchNormActivationGivesTheBitsOfTheLayersRunOneByOne(int threads) => KernelSerialCollection.WithThreads(threads, () =>
    {
        foreach (var (build, shape) in new (Func<Sequential>, int[])[]
                 { (Mlp, [300, 37]), (Mlp, [5, 37]), (Lenet, [12, 1, 12, 12]), (Lenet, [40, 1, 12, 12]), (Ghost, [40, 37]), (GhostPlanes, [16, 2, 8, 8]) })
            foreach (bool training in new[] { true, false })
            {
                var fused = build();
                var plain = build();
                fused.Train(training);
                plain.Train(training);
                for (int step = 0; step < 2; step++) // the second step runs on the updated running statistics
                {
                    var x = GradientCheck.Random(new Rng((ulong)(10 + step)), shape);
                    var dy = GradientCheck.Random(new Rng((ulong)(20 + step)), [shape[0], 10]);
                    FusionAssert.SameStep(fused, plain, x, dy);
                }
                var buffersFused = fused.NamedBuffers().Select(b => b.Buffer.ToArray()).ToList();
                var buffers = plain.NamedBuffers().Select(b => b.Buffer.ToArray()).ToList();
                for (int i = 0; i < buffers.Count; i++) Assert.Equal(buffers[i], buffersFused[i]);
            }
    });

    [Fact]
    public void FusedPairPassesFiniteDifferences()
    {
        var net = new Sequential(new Dense(6, 5, rng: new Rng(2)), new BatchNorm1d(5), new Sigmoid(), new Dense(5, 3, rng: new Rng(3)));
        GradientCheck.Check(net, GradientCheck.Random(new Rng(4), [8, 6]), h: 1e-3);
    }

    // Dense → BN → ReLU (the seeds' MLP), an Identity between a BN and its Sigmoid, and a Tanh that is not fused.
    private static Sequential Mlp() => new(
        new Dense(37, 24, false, new Rng(1)), new BatchNorm1d(24), new ReLU(), new Dense(24, 16, false, new Rng(2)),
        new BatchNorm1d(16), new Identity(), new Sigmoid(), new Dense(16, 12, false, new Rng(3)), new BatchNorm1d(12), new Tanh(),
        new Dense(12, 10, true, new Rng(4)));

    // d2l's LeNet with BN: Conv → BN2d → Sigmoid → AvgPool (planes of 8×8 and 2×2), the first pooling computed by the BN
    // (BN → activation → pool; a batch of 40 shares its planes out to both parties), then BN1d → Sigmoid.
    private static Sequential Lenet() => new(
        new Conv2d(1, 6, 5, rng: new Rng(5)), new BatchNorm2d(6), new Sigmoid(), new AvgPool2d(2, 2),
        new Conv2d(6, 16, 3, rng: new Rng(6)), new BatchNorm2d(16), new Sigmoid(), new Flatten(),
        new Dense(16 * 2 * 2, 20, rng: new Rng(7)), new BatchNorm1d(20), new Sigmoid(), new Dense(20, 10, rng: new Rng(8)));

    // Virtual batches of 8 over planes, an Identity between the activation and its pooling: one fused call per virtual batch,
    // each pooling its own samples.
    private static Sequential GhostPlanes() => new(
        new Conv2d(2, 3, 3, padding: 1, rng: new Rng(11)), new GhostBatchNorm2d(3, 8), new Sigmoid(), new Identity(), new AvgPool2d(2),
        new Flatten(), new Dense(3 * 4 * 4, 10, rng: new Rng(12)));

    // Virtual batches of 8: one fused kernel call per virtual batch.
    private static Sequential Ghost() => new(
        new Dense(37, 24, false, new Rng(9)), new GhostBatchNorm1d(24, 8), new Sigmoid(), new Dense(24, 10, true, new Rng(10)));
}

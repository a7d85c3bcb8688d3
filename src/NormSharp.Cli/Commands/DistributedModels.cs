using NormSharp.Layers;

namespace NormSharp.Cli.Commands;

/// <summary>The models <c>normsharp distributed train</c> builds: the seeds' MLP and LeNet-5, optionally with BN.</summary>
internal static class DistributedModels
{
    public static readonly string[] Names = ["mlp", "lenet"];

    /// <summary>
    /// mlp: [Dense → (BN1d) → ReLU] per hidden width, then Dense to the classes (BN between the affine map and
    /// the nonlinearity, as Ioffe and Szegedy place it). lenet: LeCun's LeNet-5 with ReLU and max pooling,
    /// conv1 padded to keep 28×28 (the usual MNIST variant), (BN2d) after each convolution and (BN1d) after the
    /// first two dense layers. Weights are drawn from <c>new Rng(seed)</c>: the same on every rank.
    /// </summary>
    /// <param name="exampleShape">One example's shape: [features] for mlp, [1, 28, 28] for lenet.</param>
    public static Sequential Build(string name, IReadOnlyList<int> hidden, bool batchNorm, int[] exampleShape, int classes, ulong seed)
    {
        var rng = new Rng(seed);
        return name switch
        {
            "mlp" => Mlp(hidden, batchNorm, exampleShape, classes, rng),
            "lenet" => LeNet(batchNorm, exampleShape, classes, rng),
            _ => throw new ArgumentException($"unknown model '{name}' (expected {string.Join(" or ", Names)})", nameof(name)),
        };
    }

    private static Sequential Mlp(IReadOnlyList<int> hidden, bool batchNorm, int[] exampleShape, int classes, Rng rng)
    {
        if (exampleShape.Length != 1)
            throw new ArgumentException($"the mlp needs flat examples [features], got [{string.Join(", ", exampleShape)}]", nameof(exampleShape));
        var model = new Sequential();
        int width = exampleShape[0];
        foreach (int h in hidden)
        {
            if (h < 1) throw new ArgumentException($"hidden width {h} must be at least 1", nameof(hidden));
            model.Add(new Dense(width, h, rng: rng));
            if (batchNorm) model.Add(new BatchNorm1d(h));
            model.Add(new ReLU());
            width = h;
        }
        return model.Add(new Dense(width, classes, rng: rng));
    }

    private static Sequential LeNet(bool batchNorm, int[] exampleShape, int classes, Rng rng)
    {
        if (exampleShape is not [1, 28, 28])
            throw new ArgumentException($"lenet needs [1, 28, 28] images, got [{string.Join(", ", exampleShape)}]", nameof(exampleShape));
        var model = new Sequential(new Conv2d(1, 6, 5, padding: 2, rng: rng));
        if (batchNorm) model.Add(new BatchNorm2d(6));
        model.Add(new ReLU()).Add(new MaxPool2d(2)).Add(new Conv2d(6, 16, 5, rng: rng));
        if (batchNorm) model.Add(new BatchNorm2d(16));
        model.Add(new ReLU()).Add(new MaxPool2d(2)).Add(new Flatten()).Add(new Dense(16 * 5 * 5, 120, rng: rng));
        if (batchNorm) model.Add(new BatchNorm1d(120));
        model.Add(new ReLU()).Add(new Dense(120, 84, rng: rng));
        if (batchNorm) model.Add(new BatchNorm1d(84));
        return model.Add(new ReLU()).Add(new Dense(84, classes, rng: rng));
    }
}

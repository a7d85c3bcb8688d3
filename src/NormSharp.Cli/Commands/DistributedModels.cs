using NormSharp.Layers;
using NormSharp.Models;

namespace NormSharp.Cli.Commands;

/// <summary>The models <c>normsharp distributed train</c> builds, from <see cref="ModelZoo"/>: the seeds' MLP and LeNet-5.</summary>
internal static class DistributedModels
{
    public static readonly string[] Names = ["mlp", "lenet"];

    /// <summary>
    /// <see cref="ModelZoo.Mlp"/> or <see cref="ModelZoo.LeNet"/> with optional BN, weights drawn from
    /// <c>new Rng(seed)</c> — the same on every rank, so the replicas start equal even before the broadcast.
    /// </summary>
    /// <param name="exampleShape">One example's shape: [features] for mlp, [1, 28, 28] for lenet.</param>
    public static Sequential Build(string name, IReadOnlyList<int> hidden, bool batchNorm, int[] exampleShape, int classes, ulong seed,
        string activation = "relu")
    {
        var options = new ModelOptions
        {
            Activation = activation,
            Normalization = batchNorm ? NormalizationKind.BatchNorm : NormalizationKind.None,
            Rng = new Rng(seed),
        };
        switch (name)
        {
            case "mlp":
                if (exampleShape.Length != 1)
                    throw new ArgumentException($"the mlp needs flat examples [features], got [{string.Join(", ", exampleShape)}]", nameof(exampleShape));
                return ModelZoo.Mlp(exampleShape[0], hidden, classes, options);
            case "lenet":
                if (exampleShape is not [1, 28, 28])
                    throw new ArgumentException($"lenet needs [1, 28, 28] images, got [{string.Join(", ", exampleShape)}]", nameof(exampleShape));
                return ModelZoo.LeNet(classes, options);
            default:
                throw new ArgumentException($"unknown model '{name}' (expected {string.Join(" or ", Names)})", nameof(name));
        }
    }
}

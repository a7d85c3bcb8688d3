using NormSharp.Layers;
using NormSharp.Models;

namespace NormSharp.Cli.Experiments;

/// <summary>The three LeNet-5 variants of seed 004 (d2l §7.5 "Batch Normalization").</summary>
public enum LeNetVariant
{
    /// <summary>BN from the reference kernels: d2l's from-scratch <c>BatchNorm(num_features, num_dims)</c> (<see cref="ScratchBatchNorm"/>).</summary>
    ScratchBatchNorm,

    /// <summary>The engine's fused <see cref="BatchNorm2d"/>/<see cref="BatchNorm1d"/> (d2l's "concise implementation", <c>nn.BatchNorm2d</c>).</summary>
    FusedBatchNorm,

    /// <summary>No BN: d2l's plain LeNet of §6.6, trained with lr 0.9.</summary>
    NoBatchNorm,
}

/// <summary>
/// Builds the networks of seed 004 exactly as its listings do, with d2l's <c>train_ch6</c> initialisation
/// (<c>nn.init.xavier_uniform_</c> on every Linear and Conv2d weight; biases keep PyTorch's default).
/// </summary>
/// <remarks>
/// The BN listing differs from d2l's plain LeNet (§6.6, <see cref="ModelZoo.LeNet"/>): its first convolution
/// has no padding (28 → 24 → 12 → 8 → 4, hence <c>nn.Linear(16*4*4, 120)</c>) and it pools with
/// <c>nn.MaxPool2d(kernel_size=2, stride=2)</c>; the Conv/Linear layers before each BN keep their bias
/// (PyTorch's default). The variant without BN is d2l's §6.6 LeNet, whose lr 0.9 the brief prescribes.
/// </remarks>
public static class SeedLeNet
{
    /// <summary>The network of <paramref name="variant"/> (sigmoid activations, 10 classes, input [N, 1, 28, 28]).</summary>
    public static Sequential Create(LeNetVariant variant, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var net = variant == LeNetVariant.NoBatchNorm
            ? ModelZoo.LeNet(10, new ModelOptions { Activation = "sigmoid", Rng = rng })
            : WithBatchNorm(variant == LeNetVariant.ScratchBatchNorm, rng);
        XavierUniform(net, rng);
        return net;
    }

    /// <summary>The learning rate d2l trains <paramref name="variant"/> with (1.0 with BN, 0.9 without).</summary>
    public static float LearningRate(LeNetVariant variant) => variant == LeNetVariant.NoBatchNorm ? 0.9f : 1.0f;

    /// <summary>γ and β of the network's first BN layer (d2l's <c>net[1].gamma.reshape((-1,))</c>); null without BN.</summary>
    public static (float[] Gamma, float[] Beta)? FirstBatchNormAffine(Sequential net)
    {
        ArgumentNullException.ThrowIfNull(net);
        foreach (var layer in net.Layers)
        {
            if (layer is ScratchBatchNorm scratch) return (scratch.Gamma.ToArray(), scratch.Beta.ToArray());
            if (layer is BatchNormBase { WeightParameter: { } weight, BiasParameter: { } bias }) return (weight.Value.ToArray(), bias.Value.ToArray());
        }
        return null;
    }

    /// <summary>The seed's listing: Conv(1→6, 5) → BN → σ → MaxPool(2) → Conv(6→16, 5) → BN → σ → MaxPool(2) →
    /// Flatten → Linear(256→120) → BN → σ → Linear(120→84) → BN → σ → Linear(84→10).</summary>
    private static Sequential WithBatchNorm(bool scratch, Rng rng)
    {
        // d2l's from-scratch BN uses momentum 0.9 on the old value (PyTorch momentum 0.1) and eps 1e-5, as the fused layers here.
        Module Bn2d(int c) => scratch ? new ScratchBatchNorm(c) : new BatchNorm2d(c, eps: 1e-5f, momentum: 0.1f);
        Module Bn1d(int f) => scratch ? new ScratchBatchNorm(f) : new BatchNorm1d(f, eps: 1e-5f, momentum: 0.1f);
        return new Sequential(
            new Conv2d(1, 6, 5, rng: rng), Bn2d(6), new Sigmoid(), new MaxPool2d(2, 2),
            new Conv2d(6, 16, 5, rng: rng), Bn2d(16), new Sigmoid(), new MaxPool2d(2, 2),
            new Flatten(),
            new Dense(16 * 4 * 4, 120, rng: rng), Bn1d(120), new Sigmoid(),
            new Dense(120, 84, rng: rng), Bn1d(84), new Sigmoid(),
            new Dense(84, 10, rng: rng));
    }

    /// <summary>d2l's <c>init_weights</c>: U(−a, a) with a = √(6 / (fan_in + fan_out)) for every Linear and Conv2d
    /// weight (fans include the kernel area, as <c>torch.nn.init._calculate_fan_in_and_fan_out</c>).</summary>
    internal static void XavierUniform(Sequential net, Rng rng)
    {
        foreach (var layer in net.Layers)
        {
            var (weight, fanIn, fanOut) = layer switch
            {
                Dense d => (d.WeightParameter.Value, d.InFeatures, d.OutFeatures),
                Conv2d c => (c.WeightParameter.Value, c.InChannels * c.KernelSize * c.KernelSize, c.OutChannels * c.KernelSize * c.KernelSize),
                _ => (null, 0, 0),
            };
            if (weight is null) continue;
            float bound = MathF.Sqrt(6f / (fanIn + fanOut));
            var w = weight.Span;
            for (int i = 0; i < w.Length; i++) w[i] = rng.NextUniform(-bound, bound);
        }
    }
}

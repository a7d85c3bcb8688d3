namespace NormSharp.Models;

/// <summary>Settings shared by the <see cref="ModelZoo"/> builders.</summary>
public sealed record ModelOptions
{
    /// <summary>Activation by name (see <see cref="ActivationFactory"/>): "relu", "sigmoid", "tanh", …</summary>
    public string Activation { get; init; } = "relu";

    /// <summary>The normalization before every hidden activation.</summary>
    public NormalizationKind Normalization { get; init; } = NormalizationKind.None;

    /// <summary>BN's ε (PyTorch 1e-5; Keras 1e-3). Also used by Batch Renorm, Ghost BN, GroupNorm and LayerNorm.</summary>
    public float BatchNormEps { get; init; } = 1e-5f;

    /// <summary>BN's momentum in PyTorch's convention (weight of the new value: 0.1). Keras'
    /// <c>momentum=0.99</c> is PyTorch's 0.01. Null: cumulative average.</summary>
    public float? BatchNormMomentum { get; init; } = 0.1f;

    /// <summary>Whether the Dense/Conv2d layer right before a BN (or Batch Renorm / Ghost BN) keeps its bias.
    /// The BN's mean subtraction cancels that bias (the BN paper, §3.2; seed 001), so by default it is
    /// dropped. GroupNorm and LayerNorm do not cancel a per-feature bias: the layer before them keeps it.</summary>
    public bool BiasBeforeBatchNorm { get; init; }

    /// <summary>
    /// Weight initialisation of every Dense and Conv2d (biases then 0, see <see cref="Initializer.Apply"/>),
    /// e.g. <c>Initializer.Parse("he_normal")</c> or <c>Initializer.XavierUniform()</c>. Null (the default):
    /// PyTorch's default, the layers' own <c>reset_parameters</c> (U(±1/√fan_in) for weight and bias).
    /// </summary>
    public Initializer? WeightInit { get; init; }

    /// <summary>Ghost BN's samples per virtual batch (Keras <c>virtual_batch_size</c>).</summary>
    public int VirtualBatchSize { get; init; } = 32;

    /// <summary>Batch Renorm's final clip of r (the paper's 3).</summary>
    public float RenormRMax { get; init; } = 3f;

    /// <summary>Batch Renorm's final clip of |d| (the paper's 5).</summary>
    public float RenormDMax { get; init; } = 5f;

    /// <summary>Batch Renorm's training batches over which the clips ramp up from (1, 0).</summary>
    public int RenormWarmupSteps { get; init; }

    /// <summary>Batch Renorm's weight of the new value in its moving μ and σ (PyTorch convention; Keras's 0.99 is 0.01).
    /// Null: the same as <see cref="BatchNormMomentum"/> (0.01 when that is cumulative). Keep the two equal — as Keras's
    /// defaults (both 0.99) and the paper (one set of averages) do: r and d pull training towards the renorm averages, eval
    /// mode normalises with the running ones, and averages of different speeds disagree (measured: the 7-layer MLP on MNIST, 1,500 Adam steps at batch 8, renorm
    /// momentum 0.01 against BN momentum 0.1, 59% eval accuracy; 0.1 for both, 87%).</summary>
    public float? RenormMomentum { get; init; }

    /// <summary>GroupNorm's group count for every layer; null picks <see cref="ModelZoo.DefaultGroups"/> per layer.</summary>
    public int? GroupNormGroups { get; init; }

    /// <summary>Generator for the initial weights; <see cref="RandomState.Global"/> when null.</summary>
    public Rng? Rng { get; init; }
}

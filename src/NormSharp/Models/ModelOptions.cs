namespace NormSharp.Models;

/// <summary>Settings shared by the <see cref="ModelZoo"/> builders.</summary>
public sealed record ModelOptions
{
    /// <summary>Activation by name (see <see cref="ActivationFactory"/>): "relu", "sigmoid", "tanh", …</summary>
    public string Activation { get; init; } = "relu";

    /// <summary>The normalization before every hidden activation.</summary>
    public NormalizationKind Normalization { get; init; } = NormalizationKind.None;

    /// <summary>BN's ε (PyTorch 1e-5; Keras 1e-3).</summary>
    public float BatchNormEps { get; init; } = 1e-5f;

    /// <summary>BN's momentum in PyTorch's convention (weight of the new value: 0.1). Keras'
    /// <c>momentum=0.99</c> is PyTorch's 0.01. Null: cumulative average.</summary>
    public float? BatchNormMomentum { get; init; } = 0.1f;

    /// <summary>Whether the Dense/Conv2d layer right before a BN keeps its bias. The BN's mean subtraction
    /// cancels that bias (the BN paper, §3.2; seed 001), so by default it is dropped.</summary>
    public bool BiasBeforeBatchNorm { get; init; }

    /// <summary>Generator for the initial weights; <see cref="RandomState.Global"/> when null.</summary>
    public Rng? Rng { get; init; }
}

namespace NormSharp.Kernels;

/// <summary>An element-wise activation a normalisation kernel applies to its result before it leaves the cache
/// (<see cref="BatchNorm.ForwardTraining"/>): the activations whose derivative reads the output alone, so that the
/// activation layer's backward runs unchanged on the fused result.</summary>
public enum FusedActivation
{
    None,

    /// <summary>max(0, x), NaN kept, as <see cref="Activations.Relu"/>.</summary>
    Relu,

    /// <summary>1/(1 + e⁻ˣ), as <see cref="Activations.Sigmoid"/>.</summary>
    Sigmoid,
}

namespace NormSharp;

/// <summary>Which fan a variance-scaling initialiser divides by (PyTorch <c>mode</c>, Keras <c>mode</c>).</summary>
public enum FanMode
{
    /// <summary>Inputs per output unit: preserves the forward signal's variance.</summary>
    FanIn,

    /// <summary>Outputs per input unit: preserves the backward gradient's variance.</summary>
    FanOut,

    /// <summary>(fan_in + fan_out) / 2 (Keras only; Glorot's compromise).</summary>
    FanAvg,
}

/// <summary>The distribution of Keras' <c>VarianceScaling</c>.</summary>
public enum VarianceDistribution
{
    /// <summary>Normal truncated at ±2σ, σ corrected so the truncated variance is the target (Keras' default).</summary>
    TruncatedNormal,

    /// <summary>Plain normal with the target variance.</summary>
    UntruncatedNormal,

    /// <summary>Uniform on ±√(3·variance).</summary>
    Uniform,
}

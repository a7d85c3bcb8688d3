using NormSharp.Layers;

namespace NormSharp.Serialization;

/// <summary>What <see cref="Freezing.Freeze(Module, string)"/> changed.</summary>
/// <param name="Parameters">Parameter names whose <see cref="Parameter.RequiresGrad"/> was set.</param>
/// <param name="BatchNormLayers">Module names of the BN layers whose <see cref="BatchNormBase.Frozen"/> was set.</param>
public sealed record FreezeReport(IReadOnlyList<string> Parameters, IReadOnlyList<string> BatchNormLayers)
{
    public override string ToString() =>
        $"{Parameters.Count} parameters ({string.Join(", ", Parameters)}); BatchNorm layers in inference mode: {(BatchNormLayers.Count == 0 ? "none" : string.Join(", ", BatchNormLayers))}";
}

using NormSharp.Layers;

namespace NormSharp.Serialization;

/// <summary>Deep copies of models through their architecture JSON and state dict.</summary>
public static class ModelCopy
{
    /// <summary>
    /// An independent copy of <paramref name="model"/>: same architecture, same parameter and buffer
    /// values (bit-exact), same mode. Frozen flags and <see cref="Parameter.RequiresGrad"/> are not copied.
    /// </summary>
    public static Module Clone(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Module copy;
        try
        {
            copy = ArchitectureJson.Deserialize(ArchitectureJson.Serialize(model));
        }
        catch (InvalidDataException e)
        {
            throw new NotSupportedException($"cannot copy {model.Describe()}: {e.Message}", e);
        }
        copy.LoadStateDict(model.StateDict());
        copy.Train(model.Training);
        return copy;
    }
}

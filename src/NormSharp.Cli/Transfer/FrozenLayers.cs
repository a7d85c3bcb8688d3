using NormSharp.Layers;

namespace NormSharp.Cli.Transfer;

/// <summary>How far the frozen part of a Sequential reaches, for <see cref="Serialization.FrozenPrefixCache"/>.</summary>
public static class FrozenLayers
{
    /// <summary>
    /// The number of leading layers that hold no trainable parameter and no BN layer still in training
    /// mode — the prefix whose output can be cached. Parameter-free layers (activations, pooling) directly
    /// after the last frozen layer are included, since the cache can hold their output too; the count
    /// stops before the first trainable layer and never covers the whole model.
    /// </summary>
    public static int LeadingFrozenCount(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int count = 0;
        for (int i = 0; i < model.Count - 1; i++)
        {
            var layer = model[i];
            if (layer is IStochastic) break;
            if (layer.NamedParameters().Any(p => p.Parameter.RequiresGrad)) break;
            if (layer.NamedModules().Any(m => m.Module is BatchNormBase { Frozen: false })) break;
            count = i + 1;
        }
        // Trailing parameter-free layers count only when something before them is frozen.
        while (count > 0 && !model[count - 1].NamedParameters().Any() && !HasFrozenBefore(model, count - 1)) count--;
        return count;
    }

    private static bool HasFrozenBefore(Sequential model, int index)
    {
        for (int i = 0; i < index; i++)
            if (model[i].NamedParameters().Any()) return true;
        return false;
    }
}

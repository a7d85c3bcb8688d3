using NormSharp.Data;
using NormSharp.Layers;

namespace NormSharp.Serialization;

/// <summary>
/// The seed's "cache the frozen layers" speed-up: when the first k layers of a Sequential are frozen,
/// their output for each example never changes, so it is computed once per dataset and the trainable
/// suffix trains on the cached features — every epoch skips the frozen layers' forward and backward.
/// </summary>
/// <remarks>
/// <para>The prefix runs in eval mode, which is what frozen layers compute anyway when frozen with
/// <see cref="Freezing"/> (a frozen BN normalises with its running statistics). For that reason every
/// parameter of the prefix must be frozen and every BN in it <see cref="BatchNormBase.Frozen"/>, and the
/// prefix may not contain a stochastic layer (Dropout's noise would be frozen into the cache).</para>
/// <para><see cref="Suffix"/> shares its layers with the original model: training it trains the model.</para>
/// </remarks>
public sealed class FrozenPrefixCache
{
    private FrozenPrefixCache(Sequential prefix, Sequential suffix, int batchSize)
    {
        Prefix = prefix;
        Suffix = suffix;
        BatchSize = batchSize;
    }

    /// <summary>The frozen layers (shared with the original model).</summary>
    public Sequential Prefix { get; }

    /// <summary>The trainable layers (shared with the original model): train this on <see cref="Transform"/>ed data.</summary>
    public Sequential Suffix { get; }

    /// <summary>Batch size used to run the prefix.</summary>
    public int BatchSize { get; }

    /// <summary>Splits <paramref name="model"/> after its first <paramref name="frozenLayers"/> layers.</summary>
    /// <exception cref="ArgumentException">A prefix parameter is trainable, a prefix BN is not frozen, or the prefix has a stochastic layer.</exception>
    public static FrozenPrefixCache Create(Sequential model, int frozenLayers, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(frozenLayers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frozenLayers, model.Count, nameof(frozenLayers));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var prefix = new Sequential(model.Layers.Take(frozenLayers));
        foreach (var (name, parameter) in prefix.NamedParameters())
            if (parameter.RequiresGrad)
                throw new ArgumentException($"parameter '{name}' of the first {frozenLayers} layers is trainable: freeze them first (Freezing.Freeze(model, Freezing.PrefixPattern({frozenLayers})))", nameof(frozenLayers));
        foreach (var (name, module) in prefix.NamedModules())
        {
            if (module is BatchNormBase { Frozen: false })
                throw new ArgumentException($"BatchNorm layer '{name}' is not frozen: in training it would use batch statistics, so cached features would differ (use Freezing.Freeze)", nameof(frozenLayers));
            if (module is IStochastic)
                throw new ArgumentException($"layer '{name}' ({module.Describe()}) is stochastic: caching its output would freeze its noise; cache fewer layers", nameof(frozenLayers));
        }
        return new FrozenPrefixCache(prefix, new Sequential(model.Layers.Skip(frozenLayers)), batchSize);
    }

    /// <summary>The prefix's outputs for every example of <paramref name="data"/> (eval mode), with the same targets.</summary>
    public InMemoryDataset Transform(InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] exampleShape = Prefix.OutputShape([1, .. data.ExampleShape])[1..];
        int width = 1;
        foreach (int d in exampleShape) width *= d;
        var features = new Tensor([data.Count, .. exampleShape]);
        // The prefix's layers belong to the caller's model: give each its mode back afterwards.
        var modes = new bool[Prefix.Count];
        for (int i = 0; i < modes.Length; i++) modes[i] = Prefix[i].Training;
        Prefix.Eval();
        try
        {
            var loader = new DataLoader(data, BatchSize, shuffle: false);
            loader.StartEpoch();
            int row = 0;
            while (loader.TryNextBatch(out var x, out _))
            {
                var y = Prefix.Forward(x);
                y.Span.CopyTo(features.Span.Slice(row * width, y.Size));
                row += x.Dim(0);
            }
        }
        finally
        {
            for (int i = 0; i < modes.Length; i++) Prefix[i].Train(modes[i]);
        }
        return new InMemoryDataset(data.Name + $" (cached through {Prefix.Count} frozen layers)", features, data.Targets.Clone(), data.NumClasses);
    }
}

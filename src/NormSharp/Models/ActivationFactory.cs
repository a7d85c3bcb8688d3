using NormSharp.Layers;

namespace NormSharp.Models;

/// <summary>Activation layers by their command-line names.</summary>
public static class ActivationFactory
{
    private static readonly Dictionary<string, Func<Module>> s_factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["relu"] = () => new ReLU(),
        ["leaky_relu"] = () => new LeakyReLU(),
        ["elu"] = () => new ELU(),
        ["selu"] = () => new SELU(),
        ["sigmoid"] = () => new Sigmoid(),
        ["tanh"] = () => new Tanh(),
    };

    /// <summary>The known names, sorted.</summary>
    public static IReadOnlyList<string> Names => [.. s_factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>A new activation layer called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static Module Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (s_factories.TryGetValue(name, out var factory)) return factory();
        throw new ArgumentException($"unknown activation '{name}'; expected one of: {string.Join(", ", Names)}", nameof(name));
    }

    /// <summary>Makes <paramref name="name"/> available to <see cref="Create"/> (used for layers with arguments or custom ones).</summary>
    public static void Register(string name, Func<Module> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (s_factories) s_factories[name] = factory;
    }
}

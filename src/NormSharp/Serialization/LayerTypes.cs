using System.Diagnostics.CodeAnalysis;
using NormSharp.Layers;

namespace NormSharp.Serialization;

/// <summary>
/// The module types an architecture JSON may name: every public, non-abstract <see cref="Module"/> of
/// the NormSharp assembly, plus types registered with <see cref="Register"/>. Loading a file can only
/// ever construct these (never an arbitrary type named by the file).
/// </summary>
public static class LayerTypes
{
    private static readonly Lock s_lock = new();
    private static Dictionary<string, Type>? s_types;

    /// <summary>Makes a user-defined module type loadable by <see cref="ModelIO.Load"/>.</summary>
    /// <exception cref="ArgumentException">The type is not a concrete Module or its name is already taken by another type.</exception>
    public static void Register([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!typeof(Module).IsAssignableFrom(type) || type.IsAbstract)
            throw new ArgumentException($"{type.FullName} is not a concrete Module", nameof(type));
        lock (s_lock)
        {
            var types = Types();
            if (types.TryGetValue(type.Name, out var existing) && existing != type)
                throw new ArgumentException($"the layer name '{type.Name}' is already used by {existing.FullName}", nameof(type));
            types[type.Name] = type;
        }
    }

    /// <summary>The type named <paramref name="name"/> (its short .NET name, e.g. "BatchNorm1d").</summary>
    /// <exception cref="ArgumentException">No such registered type.</exception>
    public static Type Find(string name)
    {
        lock (s_lock)
        {
            if (Types().TryGetValue(name, out var type)) return type;
        }
        throw new ArgumentException(
            $"unknown layer type '{SafetensorsDTypes.Truncate(name)}' (known: {string.Join(", ", Names())}; register custom layers with LayerTypes.Register)", nameof(name));
    }

    /// <summary>The registered names, sorted.</summary>
    public static IReadOnlyList<string> Names()
    {
        lock (s_lock)
        {
            var names = Types().Keys.ToList();
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    private static Dictionary<string, Type> Types()
    {
        if (s_types is not null) return s_types;
        var types = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in typeof(Module).Assembly.GetExportedTypes())
            if (typeof(Module).IsAssignableFrom(type) && !type.IsAbstract && type.GetConstructors().Length > 0)
                types[type.Name] = type;
        return s_types = types;
    }
}

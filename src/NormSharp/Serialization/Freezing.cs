using System.Text.RegularExpressions;
using NormSharp.Layers;

namespace NormSharp.Serialization;

/// <summary>
/// Freezes parts of a model by a regular expression over state-dict names (<c>"^[0-2]\."</c> freezes
/// layers 0–2 of a Sequential): their parameters get <see cref="Parameter.RequiresGrad"/> = false, so
/// optimizers skip them and layers skip their gradients, and every BatchNorm layer with a matching name
/// becomes <see cref="BatchNormBase.Frozen"/> — it normalises with its running statistics and never
/// updates them, even while the model trains (Keras <c>trainable = False</c>).
/// </summary>
/// <remarks>
/// A BN layer matches when the pattern matches any of its state keys (<c>"1.weight"</c>,
/// <c>"1.running_mean"</c> …), so patterns written for parameters also catch non-affine BN layers.
/// The seed's TensorFlow recipe (pass the optimizer only the upper layers' variables) leaves a frozen BN
/// layer updating its statistics in training mode; that is the pitfall this class avoids.
/// </remarks>
public static class Freezing
{
    /// <summary>Freezes every parameter and BN layer of <paramref name="model"/> whose name matches <paramref name="pattern"/>.</summary>
    /// <returns>What was frozen.</returns>
    /// <exception cref="ArgumentException">The pattern matches nothing (a typo would otherwise silently freeze nothing).</exception>
    public static FreezeReport Freeze(Module model, string pattern) => Set(model, new Regex(pattern, RegexOptions.CultureInvariant), frozen: true);

    /// <inheritdoc cref="Freeze(Module, string)"/>
    public static FreezeReport Freeze(Module model, Regex pattern) => Set(model, pattern, frozen: true);

    /// <summary>Undoes <see cref="Freeze(Module, string)"/> for the matching names.</summary>
    public static FreezeReport Unfreeze(Module model, string pattern) => Set(model, new Regex(pattern, RegexOptions.CultureInvariant), frozen: false);

    /// <summary>The pattern matching the first <paramref name="count"/> layers of a Sequential (<c>^(0|1|2)\.</c>).</summary>
    public static string PrefixPattern(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return "^(" + string.Join("|", Enumerable.Range(0, count)) + @")\.";
    }

    /// <summary>Names of the trainable parameters (the ones an optimizer will update).</summary>
    public static IReadOnlyList<string> TrainableParameters(Module model) =>
        model.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => p.Name).ToList();

    private static FreezeReport Set(Module model, Regex pattern, bool frozen)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pattern);
        var parameters = new List<string>();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (!pattern.IsMatch(name)) continue;
            parameter.RequiresGrad = !frozen;
            parameters.Add(name);
        }
        var batchNorms = new List<string>();
        foreach (var (name, module) in model.NamedModules())
        {
            if (module is not BatchNormBase bn) continue;
            string prefix = name.Length == 0 ? "" : name + ".";
            if (!bn.StateDict().Keys.Any(key => pattern.IsMatch(prefix + key))) continue;
            bn.Frozen = frozen;
            batchNorms.Add(name);
        }
        if (parameters.Count == 0 && batchNorms.Count == 0)
            throw new ArgumentException(
                $"pattern '{pattern}' matches no parameter or BatchNorm layer (names look like: {string.Join(", ", model.StateDict().Keys.Take(4))})",
                nameof(pattern));
        return new FreezeReport(parameters, batchNorms);
    }
}

using System.Text.RegularExpressions;
using NormSharp.Layers;

namespace NormSharp.Serialization;

/// <summary>
/// Restores only part of a model from saved weights, selected by a regular expression over state-dict
/// names — the seed's TensorFlow recipe of restoring the scopes matching <c>"hidden[123]"</c> into a new
/// model, here e.g. <c>"^[0-5]\."</c> for the first six layers of a Sequential.
/// </summary>
/// <remarks>
/// All shapes are checked before anything is copied: a mismatch is an error listing every offending
/// name, and the model is left unchanged. Names may be mapped from the file's to the model's
/// (the seed's "dictionary mapping the original model's variable names").
/// </remarks>
public static class PartialRestore
{
    /// <summary>Copies the tensors of <paramref name="path"/> whose names match <paramref name="pattern"/> into <paramref name="model"/>.</summary>
    /// <param name="model">The model receiving the weights.</param>
    /// <param name="path">A safetensors file (<see cref="ModelIO.Save"/>, a checkpoint's weights, or PyTorch's).</param>
    /// <param name="pattern">Which of the file's names to restore (matched against the file's names).</param>
    /// <param name="mapName">Maps a file name to the model's name for it (identity when null).</param>
    /// <exception cref="InvalidDataException">A selected tensor's shape differs from the model's.</exception>
    public static RestoreReport Restore(Module model, string path, string pattern, Func<string, string>? mapName = null) =>
        Restore(model, StateDictCodec.Extract(SafetensorsFile.Read(path)), new Regex(pattern, RegexOptions.CultureInvariant), mapName, path);

    /// <summary>Copies the entries of <paramref name="source"/> whose names match <paramref name="pattern"/> into <paramref name="model"/>.</summary>
    public static RestoreReport Restore(Module model, IReadOnlyDictionary<string, Tensor> source, Regex pattern,
        Func<string, string>? mapName = null, string sourceName = "state dict")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(pattern);
        var target = model.StateDict();
        var plan = new List<(string From, string To, Tensor Value)>();
        var skipped = new List<SkippedEntry>();
        var mismatches = new List<string>();
        foreach (var (name, value) in source)
        {
            if (!pattern.IsMatch(name))
            {
                skipped.Add(new SkippedEntry(name, $"does not match '{pattern}'"));
                continue;
            }
            string to = mapName?.Invoke(name) ?? name;
            if (!target.TryGetValue(to, out var destination))
            {
                skipped.Add(new SkippedEntry(name, to == name ? "not in the model" : $"'{to}' is not in the model"));
                continue;
            }
            if (!SameShape(value, destination))
            {
                mismatches.Add($"'{name}' is {value.ShapeString()} in {sourceName} but '{to}' is {destination.ShapeString()} in the model");
                continue;
            }
            plan.Add((name, to, value));
        }
        if (mismatches.Count > 0)
            throw new InvalidDataException($"cannot restore from {sourceName}: {string.Join("; ", mismatches)} (nothing was copied)");

        var restored = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, to, value) in plan)
        {
            target[to].CopyFrom(value);
            restored.Add(to);
        }
        var selectedTargets = source.Keys.Where(k => pattern.IsMatch(k)).Select(k => mapName?.Invoke(k) ?? k).ToHashSet(StringComparer.Ordinal);
        var missing = new List<string>();
        var untouched = new List<string>();
        foreach (var key in target.Keys)
        {
            if (restored.Contains(key)) continue;
            // A model key is "missing" when its name (as the file would spell it) matches the pattern but the file lacks it.
            if (pattern.IsMatch(key) && !selectedTargets.Contains(key)) missing.Add(key);
            else untouched.Add(key);
        }
        return new RestoreReport(plan.Select(p => p.To).ToList(), skipped, missing, untouched);
    }

    private static bool SameShape(Tensor a, Tensor b) =>
        a.Size == b.Size && (a.Rank == 0 || b.Rank == 0 ? a.Size == 1 : a.HasShape(b.Shape));
}

using System.Globalization;
using NormSharp.Data;

namespace NormSharp.Cli.Transfer;

/// <summary>
/// A task made of some classes of a dataset (seed 002's "digits 0–4" and "digits 5–9"): the examples of
/// those classes, relabelled 0…k−1 in the order given, so a k-way output layer can learn them.
/// </summary>
public static class ClassSubset
{
    /// <summary>Parses "5-9", "0,2,4" or "0-2,7" into class indices (in order, without repeats).</summary>
    /// <exception cref="ArgumentException">The text is not such a list, a class is outside [0, <paramref name="numClasses"/>), or a class repeats.</exception>
    public static int[] Parse(string text, int numClasses)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var classes = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new ArgumentException($"classes '{text}': expected a list like '5-9' or '0,2,4', got '{part}'", nameof(text));
            int low = int.Parse(bounds[0], CultureInfo.InvariantCulture), high = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (high < low) throw new ArgumentException($"classes '{text}': range '{part}' runs backwards", nameof(text));
            for (int c = low; c <= high; c++)
            {
                if (c >= numClasses) throw new ArgumentException($"classes '{text}': class {c} is outside [0, {numClasses})", nameof(text));
                if (classes.Contains(c)) throw new ArgumentException($"classes '{text}': class {c} appears twice", nameof(text));
                classes.Add(c);
            }
        }
        return [.. classes];
    }

    /// <summary>
    /// The examples of <paramref name="data"/> whose label is in <paramref name="classes"/>, relabelled to its
    /// position there, keeping their order; at most <paramref name="limit"/> of them (the first ones).
    /// </summary>
    public static InMemoryDataset Select(InMemoryDataset data, IReadOnlyList<int> classes, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count < 2) throw new ArgumentException($"a classification task needs at least 2 classes, got {classes.Count}", nameof(classes));
        var position = new Dictionary<int, int>();
        for (int i = 0; i < classes.Count; i++) position[classes[i]] = i;
        var indices = new List<int>();
        var labels = data.Targets.Span;
        for (int i = 0; i < data.Count && (limit is null || indices.Count < limit); i++)
            if (position.ContainsKey((int)labels[i])) indices.Add(i);
        if (indices.Count == 0) throw new ArgumentException($"dataset '{data.Name}' has no example of classes {string.Join(",", classes)}", nameof(classes));
        var picked = data.Subset(indices.ToArray());
        var relabelled = picked.Targets.Clone();
        var y = relabelled.Span;
        for (int i = 0; i < y.Length; i++) y[i] = position[(int)y[i]];
        return new InMemoryDataset($"{data.Name} classes {string.Join(",", classes)}", picked.Features, relabelled, classes.Count);
    }

    /// <summary>At most <paramref name="perClass"/> examples of each class of <paramref name="data"/> (the first ones), in order.</summary>
    public static InMemoryDataset PerClass(InMemoryDataset data, int perClass)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        var counts = new Dictionary<int, int>();
        var indices = new List<int>();
        var labels = data.Targets.Span;
        for (int i = 0; i < data.Count; i++)
        {
            int label = (int)labels[i];
            counts.TryGetValue(label, out int seen);
            if (seen >= perClass) continue;
            counts[label] = seen + 1;
            indices.Add(i);
        }
        return data.Subset(indices.ToArray(), $"{data.Name} ({perClass} per class)");
    }
}

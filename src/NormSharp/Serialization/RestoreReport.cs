using System.Text;

namespace NormSharp.Serialization;

/// <summary>What <see cref="PartialRestore"/> did.</summary>
/// <param name="Loaded">Model names that received saved values.</param>
/// <param name="Skipped">Saved names that were not loaded, with the reason.</param>
/// <param name="Missing">Model names the pattern selects but the saved weights lack (left as initialised).</param>
/// <param name="Untouched">Model names outside the pattern (left as they were).</param>
public sealed record RestoreReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<SkippedEntry> Skipped,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Untouched)
{
    /// <summary>A multi-line summary for logs and the CLI.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine($"loaded ({Loaded.Count}): {string.Join(", ", Loaded)}");
        text.AppendLine($"skipped ({Skipped.Count}): {string.Join(", ", Skipped.Select(s => $"{s.Name} ({s.Reason})"))}");
        text.AppendLine($"missing ({Missing.Count}): {string.Join(", ", Missing)}");
        text.Append($"untouched ({Untouched.Count}): {string.Join(", ", Untouched)}");
        return text.ToString();
    }
}

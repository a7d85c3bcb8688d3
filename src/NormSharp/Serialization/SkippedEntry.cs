namespace NormSharp.Serialization;

/// <summary>A saved tensor <see cref="PartialRestore"/> did not load, and why.</summary>
public sealed record SkippedEntry(string Name, string Reason);

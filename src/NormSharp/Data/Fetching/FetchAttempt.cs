namespace NormSharp.Data.Fetching;

/// <summary>One source tried during a fetch and what came of it.</summary>
/// <param name="Source">Source name.</param>
/// <param name="Succeeded">True when it delivered at least one verified file.</param>
/// <param name="Detail">Files delivered, or the failure.</param>
public sealed record FetchAttempt(string Source, bool Succeeded, string Detail);

namespace NormSharp.Tests.Normalization;

/// <summary>
/// Normalization tests that set <c>ParallelRunner.Threads</c> or measure process-wide allocation:
/// xunit runs this collection alone, so no other test disturbs them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NormalizationSerialCollection
{
    public const string Name = "Serial normalization (thread count, allocation)";
}

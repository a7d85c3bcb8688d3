namespace NormSharp.Tests.Training;

/// <summary>
/// Tests that must not share the process with others running: they measure process-wide allocation
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>), set <c>ParallelRunner.Threads</c>, or need the
/// thread count to stay put for bit-identical results. xunit runs this collection alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (allocation, threads, determinism)";
}

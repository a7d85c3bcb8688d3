namespace NormSharp.Data.Fetching;

/// <summary>What a fetch is doing now, for progress bars.</summary>
public enum FetchStage
{
    /// <summary>Trying a source (running a tool, connecting).</summary>
    Trying,
    /// <summary>Bytes arriving or being unpacked; <see cref="FetchProgress.Bytes"/> counts them.</summary>
    Transferring,
    /// <summary>Hashing a candidate.</summary>
    Verifying,
    /// <summary>The file is verified and in the cache.</summary>
    Done,
    /// <summary>The source failed; <see cref="FetchProgress.Message"/> says why.</summary>
    Failed,
}

/// <summary>One progress report of a dataset fetch.</summary>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Source">Source name (<see cref="IDatasetSource.Name"/>, or <c>cache</c>).</param>
/// <param name="File">File concerned, or null for the source as a whole.</param>
/// <param name="Stage">What is happening.</param>
/// <param name="Bytes">Bytes done so far in this stage.</param>
/// <param name="TotalBytes">Bytes expected, when known.</param>
/// <param name="Message">Human-readable detail (failure reason, tool being run).</param>
public readonly record struct FetchProgress(string Dataset, string Source, string? File, FetchStage Stage,
    long Bytes = 0, long? TotalBytes = null, string? Message = null);

namespace NormSharp.Data;

/// <summary>
/// An IDX file (the MNIST family's format) is malformed: wrong magic number, truncated, wrong size or an
/// out-of-range label. The message always names the file and the problem. (An <see cref="IOException"/>:
/// <see cref="InvalidDataException"/>, the natural base, is sealed.)
/// </summary>
public sealed class IdxFormatException : IOException
{
    public IdxFormatException(string path, string problem)
        : base($"IDX file '{path}': {problem}")
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file that failed to parse.</summary>
    public string FilePath { get; }

    /// <summary>What was wrong, without the file name.</summary>
    public string Problem { get; }
}

namespace NormSharp.Serialization;

/// <summary>
/// A file is not a valid safetensors file (or breaks one of <see cref="SafetensorsLimits"/>). The message
/// names the file and says what was found and what was expected; no tensor memory was allocated. (An
/// <see cref="IOException"/>: <see cref="InvalidDataException"/>, the natural base, is sealed.)
/// </summary>
public sealed class SafetensorsFormatException : IOException
{
    public SafetensorsFormatException(string path, string problem, Exception? inner = null)
        : base($"safetensors file '{path}': {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file (or stream description) that failed validation.</summary>
    public string FilePath { get; }

    /// <summary>What was wrong, without the file name.</summary>
    public string Problem { get; }
}

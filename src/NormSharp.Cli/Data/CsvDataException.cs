namespace NormSharp.Cli.Data;

/// <summary>A CSV file cannot be read as a dataset; the message names the file, the line and the problem.</summary>
public sealed class CsvDataException : FormatException
{
    public CsvDataException(string path, long line, string problem)
        : base(line > 0 ? $"CSV file '{path}' line {line}: {problem}" : $"CSV file '{path}': {problem}")
    {
        FilePath = path;
        Line = line;
    }

    public string FilePath { get; }

    /// <summary>1-based line of the problem; 0 when it concerns the whole file.</summary>
    public long Line { get; }
}

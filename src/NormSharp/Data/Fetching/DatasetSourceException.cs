namespace NormSharp.Data.Fetching;

/// <summary>A dataset source could not deliver (tool missing, network unreachable, package absent).</summary>
public sealed class DatasetSourceException : Exception
{
    public DatasetSourceException(string message) : base(message) { }
    public DatasetSourceException(string message, Exception inner) : base(message, inner) { }
}

namespace NormSharp.Distributed;

/// <summary>The MPI library is missing or unusable, or an MPI call failed (the message names the call and
/// MPI's own error text).</summary>
public sealed class MpiException : Exception
{
    public MpiException(string message) : base(message) { }

    public MpiException(string message, Exception inner) : base(message, inner) { }
}

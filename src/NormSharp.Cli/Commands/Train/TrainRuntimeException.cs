namespace NormSharp.Cli.Commands.Train;

/// <summary>A <c>normsharp train</c> run failed after its arguments were accepted (data missing, numeric
/// fault, unwritable file): printed as one line, exit code 1.</summary>
internal sealed class TrainRuntimeException(string message) : Exception(message);

namespace NormSharp.Cli.Commands.Train;

/// <summary>A bad <c>normsharp train</c> argument: printed as one line, exit code 2.</summary>
internal sealed class TrainArgumentException(string message) : Exception(message);

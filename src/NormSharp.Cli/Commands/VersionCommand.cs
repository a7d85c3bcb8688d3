using System.CommandLine;

namespace NormSharp.Cli.Commands;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the NormSharp version and the runtime it runs on.");
        command.SetAction(_ =>
        {
            var version = typeof(NormSharp.Tensor).Assembly.GetName().Version;
            Console.WriteLine($"normsharp {version} on .NET {Environment.Version}, {Environment.ProcessorCount} cores, " +
                              $"Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
            return 0;
        });
        return command;
    }
}

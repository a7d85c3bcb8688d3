using System.CommandLine;

namespace NormSharp.Cli.Commands;

/// <summary>Every top-level command, one factory per file in this folder.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        yield return ReproduceCommand.Create();
        yield return DataCommand.Create();
        yield return DistributedCommand.Create();
        yield return PredictCommand.Create();
        yield return ExportCommand.Create();
        yield return FoldCommand.Create();
        yield return InspectCommand.Create();
        yield return DoctorCommand.Create();
        yield return BnCommand.Create();
        yield return TransferCommand.Create();
        yield return Train.TrainCommand.Create();
        yield return BenchCommand.Create();
    }
}

using System.CommandLine;
using NormSharp.Distributed;
using NormSharp.Kernels;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp distributed train|check</c>: data-parallel training over MPI (run under
/// <c>mpirun -np N</c>; see docs/DISTRIBUTED.md).</summary>
internal static class DistributedCommand
{
    public static Command Create()
    {
        var command = new Command("distributed",
            "Data-parallel training over MPI with synchronized BatchNorm. Run under `mpirun -np N`; without mpirun it runs as one process.");
        command.Subcommands.Add(DistributedTrainCommand.Create());
        command.Subcommands.Add(DistributedCheckCommand.Create());
        return command;
    }

    /// <summary>
    /// MPI_COMM_WORLD when this process was started by mpirun, else a one-process group. Also gives each
    /// rank its share of the machine's cores (ranks × kernel threads ≤ cores: oversubscribed spinning
    /// workers would steal the cores the other ranks compute on).
    /// </summary>
    /// <exception cref="MpiException">Started by mpirun but no usable MPI library.</exception>
    internal static ICommunicator Open(int? threads)
    {
        ICommunicator communicator = MpiCommunicator.LaunchedByMpirun ? MpiCommunicator.World : SingleProcessCommunicator.Instance;
        int localRanks = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int local) && local > 0 ? local : 1;
        ParallelRunner.Threads = threads ?? Math.Max(1, Environment.ProcessorCount / localRanks);
        return communicator;
    }

    /// <summary>Finalises MPI when it was initialised (every rank must reach this).</summary>
    internal static void Close(ICommunicator communicator)
    {
        if (communicator is IDisposable disposable) disposable.Dispose();
    }

    /// <summary>Runs <paramref name="body"/> with the communicator; MPI errors become one clear line and exit code 2.</summary>
    internal static int Run(int? threads, Func<ICommunicator, int> body)
    {
        ICommunicator communicator;
        try { communicator = Open(threads); }
        catch (MpiException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
        try { return body(communicator); }
        finally { Close(communicator); }
    }

    /// <summary>The <c>--threads</c> option shared by the subcommands.</summary>
    internal static Option<int?> ThreadsOption() =>
        new("--threads") { Description = "Kernel threads per rank (default: cores / ranks on this machine)." };
}

namespace NormSharp.Tests.Distributed;

/// <summary>A missing MPI library is a clear error, not a crash.</summary>
public sealed class MpiLibraryErrorTests
{
    [Fact]
    public void MissingLibrary_NamesWhatWasTriedAndHowToInstall()
    {
        // OMPI_COMM_WORLD_SIZE makes the CLI believe mpirun started it, so it must load MPI.
        var environment = new Dictionary<string, string>
        {
            ["OMPI_COMM_WORLD_SIZE"] = "1",
            ["NORMSHARP_MPI_LIBRARY"] = "/nonexistent/libmpi-missing.so",
        };
        var (code, output) = MpiRun.CliWithoutMpirun(environment, "distributed", "check");
        Assert.Equal(2, code);
        Assert.Contains("no MPI library found", output);
        Assert.Contains("/nonexistent/libmpi-missing.so", output);
        Assert.Contains("NORMSHARP_MPI_LIBRARY", output);
    }

    [Fact]
    public void WithoutMpirun_RunsAsOneProcessWithoutMpi()
    {
        var (code, output) = MpiRun.CliWithoutMpirun(null, "distributed", "check", "--batch-size", "40", "--channels", "3");
        Assert.True(code == 0, output);
        Assert.Contains("1 rank(s) over no MPI", output);
    }
}

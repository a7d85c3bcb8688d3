using NormSharp.Cli;
using NormSharp.Data.Fetching;

namespace NormSharp.Tests.Cli;

/// <summary><c>normsharp data …</c> run in-process on the default cache (fetched by the library when missing).</summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // redirects Console
public sealed class DataCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "normsharp-data-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static (int Code, string Output) Run(params string[] args) => CliRunner.Invoke(args);

    [Fact]
    public void ShowWritesTheDigitAsAPng()
    {
        string png = Path.Combine(_out, "digit.png");
        var (code, output) = Run("data", "show", "mnist", "--index", "0", "--split", "test", "--out", png, "--scale", "2");
        Assert.True(code == 0, output);
        Assert.Contains("mnist/test[0]: label 7", output);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.Equal(56, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16))); // IHDR width = 28 × 2
    }

    [Fact]
    public void FetchReportsVerifiedFiles()
    {
        var (code, output) = Run("data", "fetch", "mnist");
        Assert.True(code == 0, output);
        Assert.Contains(KnownDatasets.Mnist.TrainImages.Sha256 + "  verified", output);
        Assert.Contains("mnist: all 4 files verified", output);
    }

    [Fact]
    public void ShowRejectsAnIndexOutsideTheSplit()
    {
        var (code, output) = Run("data", "show", "mnist", "--index", "10000", "--split", "test", "--out", Path.Combine(_out, "x.png"));
        Assert.Equal(2, code);
        Assert.Contains("--index 10000 is outside [0, 10000)", output);
    }

    [Fact]
    public void UnknownDatasetIsAParseError()
    {
        var (code, _) = Run("data", "info", "cifar10");
        Assert.NotEqual(0, code);
    }
}

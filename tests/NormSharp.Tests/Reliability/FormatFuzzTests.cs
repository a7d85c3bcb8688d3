using System.Text;
using NormSharp.Cli.Data;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Serialization;
using NormSharp.Tests.Data;
using Xunit.Abstractions;

namespace NormSharp.Tests.Reliability;

/// <summary>
/// Issue #7, hostile inputs: every reader of untrusted files faces seeded random mutations of valid files
/// (<see cref="FuzzHarness"/>; 300 cases each here, <c>NORMSHARP_FUZZ_CASES=10000</c> for the long run).
/// Each case must end in a valid object or the reader's typed error, within a bounded allocation.
/// </summary>
[Collection(NormSharp.Tests.Training.SerialCollection.Name)] // measures per-thread allocation; keeps the 2 cores for the others
public sealed class FormatFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly IdxTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void SafetensorsModelFiles()
    {
        var mlp = ModelIO.ToFile(ModelZoo.Mlp(12, [8, 6], 3, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) })).ToBytes();
        var conv = ModelIO.ToFile(new Sequential(new Conv2d(1, 2, 3, rng: new Rng(2)), new BatchNorm2d(2), new ReLU(), new Flatten())).ToBytes();
        // Reading allocates at most the file's size (plus the header's JSON); the model rebuilt from a
        // header that passed the reader is bounded by the architecture budget, which small inputs cannot reach.
        FuzzHarness.Run("safetensors (reader + ModelIO)", output, [mlp, conv], text: false, bytes =>
            {
                using var stream = new MemoryStream(bytes, writable: false);
                var file = SafetensorsReader.Read(stream, "fuzz.safetensors");
                ModelIO.FromFile(file, "fuzz.safetensors");
            },
            [typeof(SafetensorsFormatException), typeof(InvalidDataException)], length => 64 * length + 64 * MiB, baseSeed: 1_000_000);
    }

    [Fact]
    public void IdxImagesAndLabels()
    {
        var images = IdxTestFiles.ImageBytes(6, 5, 4, p => (byte)(p * 7));
        var labels = IdxTestFiles.LabelBytes([1, 0, 3, 2, 9, 4]);
        string path = _files.Write("fuzz", []);
        FuzzHarness.Run("IDX (raw and gzip)", output, [images, labels, IdxTestFiles.Gzip(images), IdxTestFiles.Gzip(labels)], text: false, bytes =>
            {
                File.WriteAllBytes(path, bytes);
                // The magic number decides what the file is: valid when either reader accepts it.
                try { IdxReader.ReadImages(path); }
                catch (IdxFormatException) { IdxReader.ReadLabels(path, 10); }
            },
            [typeof(IdxFormatException)], length => 2048L * length + 16 * MiB, baseSeed: 2_000_000); // gzip inflates ≤ 1032×
    }

    [Fact]
    public void ArchitectureFiles()
    {
        var models = new Module[]
        {
            ModelZoo.Mlp(20, [16, 8], 4, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Activation = "tanh", Rng = new Rng(3) }),
            new Sequential(new Conv2d(1, 4, 3, padding: 1, rng: new Rng(4)), new BatchNorm2d(4), new LeakyReLU(), new MaxPool2d(2), new Flatten(), new Dense(16, 3, rng: new Rng(5))),
        };
        var seeds = models.Select(m => Encoding.UTF8.GetBytes(NormSharp.Serialization.ArchitectureJson.Serialize(m))).ToArray();
        // A mutated size can legitimately grow the model up to the budget: 2^27 elements, ×2 for gradients.
        FuzzHarness.Run("architecture JSON", output, seeds, text: true,
            bytes => NormSharp.Serialization.ArchitectureJson.Deserialize(Encoding.UTF8.GetString(bytes)),
            [typeof(InvalidDataException)], _ => 8 * (1L << 27) + 256 * MiB, baseSeed: 3_000_000);
    }

    [Fact]
    public void CsvDatasets()
    {
        var named = "x1,x2,label\n0.5,1.25,cat\n-3,4e-2,dog\n1,2,cat\n\"7\",8,bird\n";
        var numeric = "1,2,3,0\n4,5,6,1\n7,8,9,2\n0.1,0.2,0.3,1\n";
        FuzzHarness.Run("CSV", output, [Encoding.UTF8.GetBytes(named), Encoding.UTF8.GetBytes(numeric)], text: true, bytes =>
            {
                using var reader = new StringReader(Encoding.UTF8.GetString(bytes));
                CsvDatasetLoader.Load(reader, "fuzz.csv", new CsvDatasetOptions());
            },
            [typeof(CsvDataException)], length => 256L * length + 16 * MiB, baseSeed: 4_000_000);
    }
}

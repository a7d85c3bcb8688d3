using System.Security.Cryptography;
using NormSharp.Data.Fetching;

namespace NormSharp.Tests.Data;

/// <summary>A tiny IDX dataset with real digests, and scripted sources, for fetch-chain tests.</summary>
internal static class FakeDatasets
{
    public static readonly byte[] TrainImages = IdxTestFiles.ImageBytes(4, 2, 2);
    public static readonly byte[] TrainLabels = IdxTestFiles.LabelBytes([0, 1, 2, 1]);
    public static readonly byte[] TestImages = IdxTestFiles.ImageBytes(2, 2, 2, p => (byte)(255 - p));
    public static readonly byte[] TestLabels = IdxTestFiles.LabelBytes([2, 0]);

    public static DatasetDescriptor Descriptor { get; } = new()
    {
        Name = "tiny",
        TrainImages = File("train-images-idx3-ubyte", TrainImages),
        TrainLabels = File("train-labels-idx1-ubyte", TrainLabels),
        TestImages = File("t10k-images-idx3-ubyte", TestImages),
        TestLabels = File("t10k-labels-idx1-ubyte", TestLabels),
        ClassNames = ["a", "b", "c"],
        NpmPackage = "tiny-data@1.0.0",
    };

    /// <summary>Raw content by file name.</summary>
    public static Dictionary<string, byte[]> Contents() => new()
    {
        ["train-images-idx3-ubyte"] = TrainImages,
        ["train-labels-idx1-ubyte"] = TrainLabels,
        ["t10k-images-idx3-ubyte"] = TestImages,
        ["t10k-labels-idx1-ubyte"] = TestLabels,
    };

    private static DatasetFile File(string name, byte[] raw) =>
        new(name, Convert.ToHexStringLower(SHA256.HashData(raw)), raw.Length, "");
}

/// <summary>A source that records its calls and delivers the given bytes (optionally gzip) or fails.</summary>
internal sealed class ScriptedSource(string name, Dictionary<string, byte[]>? files, bool gzip = false, List<string>? calls = null) : IDatasetSource
{
    public string Name { get; } = name;

    public int Calls { get; private set; }

    public IReadOnlyDictionary<string, string> Fetch(DatasetDescriptor dataset, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        Calls++;
        calls?.Add(Name);
        if (files is null) throw new DatasetSourceException($"{Name} is unreachable");
        var found = new Dictionary<string, string>();
        foreach (var file in wanted)
        {
            if (!files.TryGetValue(file.Name, out var bytes)) continue;
            string path = Path.Combine(workDirectory, file.Name + (gzip ? ".gz" : ""));
            System.IO.File.WriteAllBytes(path, gzip ? IdxTestFiles.Gzip(bytes) : bytes);
            found[file.Name] = path;
        }
        return found;
    }
}

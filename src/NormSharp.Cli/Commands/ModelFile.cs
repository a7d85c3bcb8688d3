using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Cli.Commands;

/// <summary>
/// A model loaded for <c>normsharp doctor</c> and <c>normsharp bn</c>: a model file (<see cref="ModelIO"/>)
/// or a training checkpoint (<see cref="Checkpoint"/>), with what its metadata says about training.
/// </summary>
internal sealed record ModelFile(Module Model, string Path, bool IsCheckpoint, int? BatchSize, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Loads <paramref name="path"/>, recognising a checkpoint by its metadata.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a NormSharp model or checkpoint (the message says why).</exception>
    /// <exception cref="SafetensorsFormatException">Not a valid safetensors file.</exception>
    public static ModelFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' does not exist", path);
        var file = SafetensorsFile.Read(path);
        bool checkpoint = file.Metadata.ContainsKey(Checkpoint.MetadataKey);
        var model = ModelFiles.Rebuild(file, path);
        return new ModelFile(model, path, checkpoint, BatchSizeOf(file), new Dictionary<string, string>(file.Metadata));
    }

    /// <summary>The training batch size a file records: a checkpoint's loader batch size, or a
    /// <c>batch_size</c> metadata entry of a model file.</summary>
    internal static int? BatchSizeOf(SafetensorsFile file)
    {
        if (file.Metadata.TryGetValue(Checkpoint.MetadataKey, out var json))
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.TryGetProperty("batch_size", out var b) && b.TryGetInt32(out int size)) return size;
            }
            catch (JsonException)
            {
                return null;
            }
        }
        foreach (string key in (string[])["batch_size", "normsharp.batch_size"])
            if (file.Metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int size) && size > 0)
                return size;
        return null;
    }

    /// <summary>Image datasets as the model reads them: [N, 1, 28, 28] when its first layer is a convolution, else flattened.</summary>
    public ImageLayout Layout => ModelFiles.FirstLayer(Model) is Conv2d ? ImageLayout.Image : ImageLayout.Flatten;
}

/// <summary>The dataset options shared by <c>normsharp doctor</c> and <c>normsharp bn</c>.</summary>
internal static class ModelDataOptions
{
    public static Option<string?> Data(string description) => new("--data")
    {
        Description = description + " One of: " + string.Join(", ", DatasetRegistry.Names) + ".",
    };

    public static Option<bool> Standardize() => new("--standardize")
    {
        Description = "Standardise pixels with the training set's mean and std (use when the model was trained that way).",
    };

    /// <summary>Loads <paramref name="name"/> laid out for <paramref name="model"/>, fetching it when missing.</summary>
    /// <exception cref="ArgumentException">Unknown dataset name (the message lists the known ones).</exception>
    public static DatasetSplit Load(string name, string? dataDirectory, ModelFile model, bool standardize)
    {
        if (!DatasetRegistry.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"--data: unknown dataset '{name}'; expected one of: {string.Join(", ", DatasetRegistry.Names)}");
        return DatasetRegistry.Load(name.ToLowerInvariant(), new DataOptions { DataDirectory = dataDirectory, Layout = model.Layout, Standardize = standardize });
    }
}

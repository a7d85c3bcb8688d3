using NormSharp.Layers;

namespace NormSharp.Serialization;

/// <summary>
/// Saves and loads whole models as one <c>.safetensors</c> file: the weights under their PyTorch
/// state-dict names (so <c>torch.nn.Sequential.load_state_dict(safetensors.torch.load_file(path))</c>
/// works for the equivalent PyTorch model), and the architecture JSON in the metadata so
/// <see cref="Load"/> rebuilds the model without code.
/// </summary>
/// <remarks>
/// Metadata keys: <c>format</c> = <c>pt</c> (what <c>safetensors.torch.save_file</c> writes and
/// Hugging Face loaders check), <see cref="ArchitectureKey"/> (see <see cref="ArchitectureJson"/>).
/// Writes are atomic (<see cref="AtomicFile"/>). Values round-trip bit-exactly.
/// </remarks>
public static class ModelIO
{
    /// <summary>Metadata key of the architecture JSON.</summary>
    public const string ArchitectureKey = "normsharp.architecture";

    /// <summary>Writes <paramref name="model"/>'s architecture and state to <paramref name="path"/>.</summary>
    /// <param name="model">The model (any mode).</param>
    /// <param name="path">Target file, conventionally <c>*.safetensors</c>; replaced atomically.</param>
    /// <param name="metadata">Extra string metadata to store (e.g. dataset, accuracy).</param>
    /// <exception cref="NotSupportedException">A layer's architecture cannot be described (see <see cref="ArchitectureJson"/>).</exception>
    public static void Save(Module model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ToFile(model, metadata).Write(path);
    }

    /// <summary>Writes only the weights (no architecture), for frameworks that build the model themselves.</summary>
    public static void SaveWeights(Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = new SafetensorsFile();
        file.Metadata["format"] = "pt";
        StateDictCodec.Add(file, model.StateDict());
        file.Write(path);
    }

    /// <summary>The safetensors contents <see cref="Save"/> writes.</summary>
    public static SafetensorsFile ToFile(Module model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = new SafetensorsFile();
        file.Metadata["format"] = "pt";
        file.Metadata[ArchitectureKey] = ArchitectureJson.Serialize(model);
        if (metadata is not null)
            foreach (var (key, value) in metadata) file.Metadata[key] = value;
        StateDictCodec.Add(file, model.StateDict());
        return file;
    }

    /// <summary>
    /// Rebuilds the model stored in <paramref name="path"/> and loads its weights (strictly: every key must
    /// match). Like a freshly constructed PyTorch module, the model is in training mode: call
    /// <see cref="Module.Eval"/> before predicting.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    /// <exception cref="InvalidDataException">The file has no (or a bad) architecture, or its weights do not fit it.</exception>
    public static Module Load(string path) => FromFile(SafetensorsFile.Read(path), path);

    /// <summary>Rebuilds a model from already-read safetensors contents (see <see cref="Load"/>).</summary>
    public static Module FromFile(SafetensorsFile file, string source)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Metadata.TryGetValue(ArchitectureKey, out var json))
            throw new InvalidDataException(
                $"'{source}' holds weights only (no '{ArchitectureKey}' metadata): build the model in code and call ModelIO.LoadWeights");
        Module model;
        try
        {
            model = ArchitectureJson.Deserialize(json);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{source}': {e.Message}", e);
        }
        LoadState(model, file, source, strict: true);
        return model;
    }

    /// <summary>Loads the weights in <paramref name="path"/> (written by NormSharp or PyTorch) into <paramref name="model"/>.</summary>
    /// <param name="model">A model of the same architecture.</param>
    /// <param name="path">The safetensors file.</param>
    /// <param name="strict">Require exactly the model's keys (PyTorch's <c>strict=True</c>); shapes must always match.</param>
    /// <exception cref="InvalidDataException">Keys or shapes do not match the model.</exception>
    public static void LoadWeights(Module model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        LoadState(model, SafetensorsFile.Read(path), path, strict);
    }

    private static void LoadState(Module model, SafetensorsFile file, string source, bool strict)
    {
        try
        {
            model.LoadStateDict(StateDictCodec.Extract(file), strict);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{source}': {e.Message}", e);
        }
    }
}

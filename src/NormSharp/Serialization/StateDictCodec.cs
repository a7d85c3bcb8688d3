namespace NormSharp.Serialization;

/// <summary>
/// Moves state dicts in and out of safetensors tensors with PyTorch's dtypes: everything F32 except
/// <c>num_batches_tracked</c>, which PyTorch keeps as a 0-dim int64 (so <c>load_state_dict</c> in PyTorch
/// gets the dtype it expects).
/// </summary>
public static class StateDictCodec
{
    /// <summary>The buffer PyTorch stores as int64.</summary>
    public const string BatchCountName = "num_batches_tracked";

    /// <summary>Adds <paramref name="state"/> to <paramref name="file"/>, each key prefixed by <paramref name="prefix"/>.</summary>
    public static void Add(SafetensorsFile file, IReadOnlyDictionary<string, Tensor> state, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (key, tensor) in state)
        {
            var entry = IsInteger(key) ? ToInt64(tensor) : SafetensorsTensor.FromTensor(tensor);
            if (!file.Tensors.TryAdd(prefix + key, entry))
                throw new ArgumentException($"'{prefix + key}' is already in the file", nameof(state));
        }
    }

    /// <summary>The tensors whose names start with <paramref name="prefix"/>, prefix removed, as float tensors.</summary>
    public static OrderedDictionary<string, Tensor> Extract(SafetensorsFile file, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(file);
        var state = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in file.Tensors)
            if (name.StartsWith(prefix, StringComparison.Ordinal)) state.Add(name[prefix.Length..], tensor.ToTensor());
        return state;
    }

    /// <summary>True for keys PyTorch stores as int64 (<c>…num_batches_tracked</c>).</summary>
    public static bool IsInteger(string key) =>
        key == BatchCountName || key.EndsWith("." + BatchCountName, StringComparison.Ordinal);

    private static SafetensorsTensor ToInt64(Tensor tensor)
    {
        var values = new long[tensor.Size];
        for (int i = 0; i < values.Length; i++)
        {
            float v = tensor.Span[i];
            if (!float.IsFinite(v) || v != MathF.Round(v))
                throw new ArgumentException($"a {BatchCountName} value must be a whole number (got {v})", nameof(tensor));
            values[i] = (long)v;
        }
        return SafetensorsTensor.FromInt64(values, tensor.Shape);
    }
}

namespace NormSharp.Serialization;

/// <summary>The element types NormSharp reads and writes in safetensors files.</summary>
/// <remarks>The names are the format's own ("F32", "I64"); PyTorch stores <c>num_batches_tracked</c> as I64.</remarks>
public enum SafetensorsDType
{
    /// <summary>IEEE-754 binary32, little-endian.</summary>
    F32,

    /// <summary>Two's-complement 64-bit integer, little-endian.</summary>
    I64,
}

/// <summary>Names and sizes of <see cref="SafetensorsDType"/> values.</summary>
public static class SafetensorsDTypes
{
    // Every dtype of the reference implementation (huggingface/safetensors, safetensors/src/tensor.rs),
    // so an unsupported-but-valid file gets a different message from a corrupt one.
    private static readonly HashSet<string> s_knownUnsupported =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F64", "U64", "F4", "F6_E2M3", "F6_E3M2", "E8M0", "F8_E8M0"];

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => 4,
        SafetensorsDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The format's name of <paramref name="dtype"/>.</summary>
    public static string Name(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => "F32",
        SafetensorsDType.I64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Parses a header dtype name; the error says whether the name is unknown or only unsupported.</summary>
    internal static SafetensorsDType Parse(string name, string source, string tensor) => name switch
    {
        "F32" => SafetensorsDType.F32,
        "I64" => SafetensorsDType.I64,
        _ when s_knownUnsupported.Contains(name) => throw new SafetensorsFormatException(source,
            $"tensor '{tensor}' has dtype {name}, which NormSharp does not read (supported: F32, I64); convert it to float32 first"),
        _ => throw new SafetensorsFormatException(source,
            $"tensor '{tensor}' has unknown dtype '{Truncate(name)}' (expected one of F32, I64)"),
    };

    internal static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}

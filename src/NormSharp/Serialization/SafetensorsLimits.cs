namespace NormSharp.Serialization;

/// <summary>
/// Bounds a safetensors reader enforces before allocating anything, so a hostile or corrupt file fails
/// with a <see cref="SafetensorsFormatException"/> instead of exhausting memory.
/// </summary>
/// <remarks>Tensor data can never exceed the file's own size (offsets are checked against it), so the
/// reader allocates at most the file size plus the header.</remarks>
public sealed record SafetensorsLimits
{
    /// <summary>The defaults: the reference implementation's 100 MB header cap (huggingface/safetensors
    /// <c>MAX_HEADER_SIZE</c>), rank ≤ 8, at most 1,000,000 tensors and 2^31−1 elements per tensor
    /// (<see cref="Tensor"/> sizes are ints).</summary>
    public static SafetensorsLimits Default { get; } = new();

    /// <summary>Largest accepted JSON header, in bytes.</summary>
    public long MaxHeaderBytes { get; init; } = 100_000_000;

    /// <summary>Largest accepted tensor rank.</summary>
    public int MaxRank { get; init; } = 8;

    /// <summary>Largest accepted number of tensors in one file.</summary>
    public int MaxTensors { get; init; } = 1_000_000;

    /// <summary>Largest accepted element count of one tensor.</summary>
    public long MaxElementsPerTensor { get; init; } = int.MaxValue;

    /// <summary>JSON nesting depth of the header. A valid header needs 3 (object → tensor → shape).</summary>
    public int MaxJsonDepth { get; init; } = 4;
}

using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace NormSharp.Serialization;

/// <summary>
/// Reads safetensors files defensively: the whole header is validated before any tensor memory is
/// allocated, so a truncated, corrupt or hostile file yields a <see cref="SafetensorsFormatException"/>
/// naming the problem — never an out-of-memory, an index error or a silently wrong tensor.
/// </summary>
/// <remarks>
/// Checks (those of the reference implementation, huggingface/safetensors <c>Metadata::validate</c>, plus
/// a few more): the header length fits in the file and under <see cref="SafetensorsLimits.MaxHeaderBytes"/>;
/// the header is valid UTF-8 JSON starting with <c>{</c>, nested no deeper than
/// <see cref="SafetensorsLimits.MaxJsonDepth"/>, without duplicate keys; each entry has exactly a known
/// dtype, a shape of non-negative dimensions within the rank and element limits and two offsets whose
/// span equals elements × dtype size; sorted by offset, the tensors tile the data section exactly
/// (no overlap, no gap, nothing outside the file).
/// </remarks>
public static class SafetensorsReader
{
    private readonly record struct Entry(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End);

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <exception cref="SafetensorsFormatException">The file is malformed or breaks the limits.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsFile Read(string path, SafetensorsLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path, limits);
    }

    /// <summary>Reads and validates a safetensors file from a seekable <paramref name="stream"/>.</summary>
    /// <param name="stream">The file contents, positioned at its start; its length bounds every offset.</param>
    /// <param name="source">Names the file in error messages.</param>
    /// <param name="limits">Bounds to enforce (<see cref="SafetensorsLimits.Default"/> when null).</param>
    public static SafetensorsFile Read(Stream stream, string source, SafetensorsLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= SafetensorsLimits.Default;
        long fileLength = stream.Length - stream.Position;
        if (fileLength < 8)
            throw new SafetensorsFormatException(source, $"file is {fileLength} bytes, too short for the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(fileLength - 8))
            throw new SafetensorsFormatException(source,
                $"header length {headerLength} exceeds the {fileLength - 8} bytes that follow it (truncated or not a safetensors file)");
        if (headerLength > (ulong)limits.MaxHeaderBytes)
            throw new SafetensorsFormatException(source, $"header length {headerLength} exceeds the limit of {limits.MaxHeaderBytes} bytes");
        if (headerLength < 2)
            throw new SafetensorsFormatException(source, $"header length {headerLength} is too small for a JSON object");
        var header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;

        var file = new SafetensorsFile();
        var entries = ParseHeader(header, source, limits, file.Metadata);
        ValidateLayout(entries, dataLength, source);

        // Everything is validated: the allocations below total exactly the data section's size.
        var byOffset = entries.OrderBy(e => e.Begin).ToArray();
        var data = new Dictionary<string, byte[]>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in byOffset)
        {
            var bytes = new byte[entry.End - entry.Begin];
            stream.ReadExactly(bytes);
            data[entry.Name] = bytes;
        }
        foreach (var entry in entries) file.Tensors.Add(entry.Name, new SafetensorsTensor(entry.DType, entry.Shape, data[entry.Name]));
        return file;
    }

    private static List<Entry> ParseHeader(byte[] header, string source, SafetensorsLimits limits, OrderedDictionary<string, string> metadata)
    {
        if (!Utf8.IsValid(header))
            throw new SafetensorsFormatException(source, "header is not valid UTF-8");
        if (header[0] != (byte)'{')
            throw new SafetensorsFormatException(source, $"header must start with '{{' (found byte 0x{header[0]:X2})");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth });
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(source,
                $"header is not valid JSON within {limits.MaxJsonDepth} nesting levels: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(source, $"header must be a JSON object (found {root.ValueKind})");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new SafetensorsFormatException(source, $"header lists '{SafetensorsDTypes.Truncate(property.Name)}' twice");
                if (property.Name == SafetensorsFile.MetadataKey)
                {
                    ReadMetadata(property.Value, source, metadata);
                    continue;
                }
                if (entries.Count >= limits.MaxTensors)
                    throw new SafetensorsFormatException(source, $"header lists more than {limits.MaxTensors} tensors");
                entries.Add(ReadEntry(property.Name, property.Value, source, limits));
            }
            return entries;
        }
    }

    private static void ReadMetadata(JsonElement value, string source, OrderedDictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(source, $"'{SafetensorsFile.MetadataKey}' must be an object of strings (found {value.ValueKind})");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsFormatException(source,
                    $"metadata '{SafetensorsDTypes.Truncate(item.Name)}' must be a string (found {item.Value.ValueKind})");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new SafetensorsFormatException(source, $"metadata lists '{SafetensorsDTypes.Truncate(item.Name)}' twice");
        }
    }

    private static Entry ReadEntry(string name, JsonElement value, string source, SafetensorsLimits limits)
    {
        string shown = SafetensorsDTypes.Truncate(name);
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(source, $"tensor '{shown}' must be an object with dtype, shape and data_offsets (found {value.ValueKind})");
        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null: dtype = field.Value; break;
                case "shape" when shape is null: shape = field.Value; break;
                case "data_offsets" when offsets is null: offsets = field.Value; break;
                default:
                    throw new SafetensorsFormatException(source,
                        $"tensor '{shown}' has an unexpected or repeated field '{SafetensorsDTypes.Truncate(field.Name)}' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtype is not { ValueKind: JsonValueKind.String } d)
            throw new SafetensorsFormatException(source, $"tensor '{shown}' lacks a string 'dtype'");
        if (shape is not { ValueKind: JsonValueKind.Array } s)
            throw new SafetensorsFormatException(source, $"tensor '{shown}' lacks a 'shape' array");
        if (offsets is not { ValueKind: JsonValueKind.Array } o || o.GetArrayLength() != 2)
            throw new SafetensorsFormatException(source, $"tensor '{shown}' lacks a 'data_offsets' array of two integers");

        var type = SafetensorsDTypes.Parse(d.GetString()!, source, shown);
        int rank = s.GetArrayLength();
        if (rank > limits.MaxRank)
            throw new SafetensorsFormatException(source, $"tensor '{shown}' has rank {rank}, above the limit of {limits.MaxRank}");
        var dims = new int[rank];
        long elements = 1;
        int axis = 0;
        foreach (var dim in s.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size) || size < 0)
                throw new SafetensorsFormatException(source, $"tensor '{shown}': shape entry {axis} is not a non-negative integer ({dim.GetRawText()})");
            if (size > limits.MaxElementsPerTensor || (size > 0 && elements > limits.MaxElementsPerTensor / size))
                throw new SafetensorsFormatException(source,
                    $"tensor '{shown}': shape [{string.Join(", ", s.EnumerateArray().Select(e => e.GetRawText()))}] exceeds the limit of {limits.MaxElementsPerTensor} elements");
            elements *= size;
            dims[axis++] = (int)size;
        }
        long begin = ReadOffset(o[0], source, shown), end = ReadOffset(o[1], source, shown);
        if (end < begin)
            throw new SafetensorsFormatException(source, $"tensor '{shown}': data_offsets [{begin}, {end}] end before they begin");
        long expected = elements * SafetensorsDTypes.SizeOf(type);
        if (end - begin != expected)
            throw new SafetensorsFormatException(source,
                $"tensor '{shown}': data_offsets [{begin}, {end}] span {end - begin} bytes but {SafetensorsDTypes.Name(type)}[{string.Join(", ", dims)}] needs {expected}");
        if (expected > Array.MaxLength)
            throw new SafetensorsFormatException(source, $"tensor '{shown}' has {expected} bytes, more than one array can hold");
        return new Entry(name, type, dims, begin, end);
    }

    private static long ReadOffset(JsonElement value, string source, string tensor) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long offset) && offset >= 0
            ? offset
            : throw new SafetensorsFormatException(source, $"tensor '{tensor}': data offset {value.GetRawText()} is not a non-negative integer");

    /// <summary>Sorted by offset, the tensors must tile [0, dataLength) exactly.</summary>
    private static void ValidateLayout(List<Entry> entries, long dataLength, string source)
    {
        long expectedBegin = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < expectedBegin)
                throw new SafetensorsFormatException(source,
                    $"tensor '{SafetensorsDTypes.Truncate(entry.Name)}': data_offsets [{entry.Begin}, {entry.End}] overlap the previous tensor (which ends at {expectedBegin})");
            if (entry.Begin > expectedBegin)
                throw new SafetensorsFormatException(source,
                    $"tensor '{SafetensorsDTypes.Truncate(entry.Name)}': data_offsets [{entry.Begin}, {entry.End}] leave a gap after byte {expectedBegin} (tensors must be contiguous)");
            if (entry.End > dataLength)
                throw new SafetensorsFormatException(source,
                    $"tensor '{SafetensorsDTypes.Truncate(entry.Name)}': data_offsets [{entry.Begin}, {entry.End}] run past the end of the data section ({dataLength} bytes; file truncated?)");
            expectedBegin = entry.End;
        }
        if (expectedBegin != dataLength)
            throw new SafetensorsFormatException(source,
                $"the tensors cover {expectedBegin} bytes but the data section holds {dataLength} (trailing bytes or a corrupt header)");
    }
}

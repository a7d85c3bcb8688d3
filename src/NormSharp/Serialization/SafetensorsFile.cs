using System.Buffers.Binary;
using System.Text.Json;

namespace NormSharp.Serialization;

/// <summary>
/// The contents of a safetensors file (huggingface/safetensors): named tensors and string metadata.
/// </summary>
/// <remarks>
/// <para>Layout: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"__metadata__": {…}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}</c>,
/// offsets relative to the data section), then the raw little-endian tensor bytes, contiguous. Like the
/// reference writer, the header is padded with spaces so the data section starts 8-byte aligned.</para>
/// <para>Files written here load with Python's <c>safetensors.torch.load_file</c>; reading applies every
/// check of <see cref="SafetensorsReader"/>.</para>
/// </remarks>
public sealed class SafetensorsFile
{
    /// <summary>The header key holding the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Tensors by name, in file order (writing keeps insertion order).</summary>
    public OrderedDictionary<string, SafetensorsTensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Free-form string metadata (<c>__metadata__</c>).</summary>
    public OrderedDictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads and validates <paramref name="path"/> (see <see cref="SafetensorsReader"/>).</summary>
    /// <exception cref="SafetensorsFormatException">The file is malformed or breaks <paramref name="limits"/>.</exception>
    public static SafetensorsFile Read(string path, SafetensorsLimits? limits = null) => SafetensorsReader.Read(path, limits);

    /// <summary>Writes the file atomically (<see cref="AtomicFile"/>).</summary>
    public void Write(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>The complete file as bytes.</summary>
    public byte[] ToBytes()
    {
        using var memory = new MemoryStream();
        WriteTo(memory);
        return memory.ToArray();
    }

    /// <summary>Writes the file format to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var (_, tensor) in Tensors) stream.Write(tensor.Bytes);
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in Metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in Tensors)
            {
                if (name == MetadataKey) throw new InvalidOperationException($"a tensor may not be named '{MetadataKey}'");
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsDTypes.Name(tensor.DType));
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Bytes.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces to a multiple of 8 so the data section is aligned (the reference writer does the same).
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}

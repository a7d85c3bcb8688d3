using System.Buffers.Binary;
using System.IO.Compression;

namespace NormSharp.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/):
/// a big-endian header — two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions —
/// then one big-endian int32 per dimension, then the data. Labels are IDX1 (magic 2049), images IDX3
/// (magic 2051). Files may be raw or gzip-compressed; the reader tells them apart by their first bytes
/// (gzip starts 0x1F 0x8B), never by the file name, and streams the data without buffering the file twice.
/// Every check (magic, dimension count, sizes against the data actually present, trailing bytes, label
/// range) fails with an <see cref="IdxFormatException"/> naming the file and the problem.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an IDX1 unsigned-byte file (labels).</summary>
    public const int LabelMagic = 0x00000801; // 2049

    /// <summary>Magic number of an IDX3 unsigned-byte file (images).</summary>
    public const int ImageMagic = 0x00000803; // 2051

    /// <summary>Reads an IDX3 image file (raw or gzip).</summary>
    public static IdxImages ReadImages(string path)
    {
        using var stream = OpenDecompressed(path, out long? rawLength);
        Span<int> dims = stackalloc int[3];
        ReadHeader(stream, path, ImageMagic, dims, rawLength);
        int count = dims[0], rows = dims[1], columns = dims[2];
        if (rows <= 0 || columns <= 0)
            throw new IdxFormatException(path, $"image size {rows}×{columns} is not positive");
        var pixels = ReadBody(stream, path, (long)count * rows * columns, rawLength is not null, $"{count} images of {rows}×{columns}");
        return new IdxImages(pixels, count, rows, columns);
    }

    /// <summary>
    /// Reads an IDX1 label file (raw or gzip); every label must lie in [0, <paramref name="numClasses"/>).
    /// </summary>
    public static byte[] ReadLabels(string path, int numClasses = 256)
    {
        if (numClasses < 1 || numClasses > 256) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "must be in [1, 256]");
        using var stream = OpenDecompressed(path, out long? rawLength);
        Span<int> dims = stackalloc int[1];
        ReadHeader(stream, path, LabelMagic, dims, rawLength);
        var labels = ReadBody(stream, path, dims[0], rawLength is not null, $"{dims[0]} labels");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= numClasses)
                throw new IdxFormatException(path, $"label {labels[i]} at index {i} is outside [0, {numClasses})");
        return labels;
    }

    /// <summary>True when the file starts with the gzip signature 0x1F 0x8B (RFC 1952 §2.3.1).</summary>
    public static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading its IDX bytes: decompressing when gzip. For raw files
    /// <paramref name="rawLength"/> is the file length, so sizes are checked before anything is allocated.
    /// </summary>
    public static Stream OpenDecompressed(string path, out long? rawLength)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file '{path}' does not exist", path);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int b0 = file.ReadByte(), b1 = file.ReadByte();
        file.Position = 0;
        if (b0 == 0x1F && b1 == 0x8B)
        {
            rawLength = null;
            return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16);
        }
        rawLength = file.Length;
        return file;
    }

    private static void ReadHeader(Stream stream, string path, int expectedMagic, Span<int> dims, long? rawLength)
    {
        Span<byte> header = stackalloc byte[4 + 4 * 3];
        int headerLength = 4 + 4 * dims.Length;
        string kind = expectedMagic == ImageMagic ? "IDX3 images" : "IDX1 labels";
        int got = ReadFully(stream, path, header[..4]);
        if (got < 4)
            throw new IdxFormatException(path, $"truncated: {got} bytes, shorter than the 4-byte IDX magic number");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            string hint = magic is LabelMagic or ImageMagic
                ? $" (this is a {(magic == LabelMagic ? "label" : "image")} file)"
                : header[0] != 0 || header[1] != 0 ? " (not an IDX file)" : "";
            throw new IdxFormatException(path,
                $"wrong magic number {magic} (0x{magic:X8}), expected {expectedMagic} (0x{expectedMagic:X8}) for {kind}{hint}");
        }
        got = ReadFully(stream, path, header[4..headerLength]);
        if (got < headerLength - 4)
            throw new IdxFormatException(path, $"truncated header: {4 + got} of {headerLength} bytes");
        long body = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * i)..]);
            if (dims[i] < 0) throw new IdxFormatException(path, $"dimension {i} is negative ({dims[i]})");
            body *= dims[i];
        }
        if (body > Array.MaxLength)
            throw new IdxFormatException(path, $"dimensions [{DimensionList(dims)}] describe {body} bytes, more than an array can hold");
        if (rawLength is long length && length != headerLength + body)
            throw new IdxFormatException(path,
                $"wrong size: header [{DimensionList(dims)}] needs {headerLength + body} bytes but the file has {length}" +
                (length < headerLength + body ? " (truncated)" : " (trailing data)"));
    }

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes and checks nothing follows. When the size was already
    /// checked against the file length it allocates once; for gzip (length unknown until decompressed) it
    /// grows the buffer as data actually arrives, so a forged header cannot make it allocate gigabytes.
    /// </summary>
    private static byte[] ReadBody(Stream stream, string path, long length, bool sizeChecked, string what)
    {
        // Start small (a forged 20-byte gzip file announcing 47 MB gets 64 KiB, found by the IDX fuzzer); doubling
        // keeps the copies of a real file within 2× its size.
        const int GrowthStart = 1 << 16;
        var buffer = new byte[sizeChecked ? length : Math.Min(length, GrowthStart)];
        long got = 0;
        while (true)
        {
            got += ReadFully(stream, path, buffer.AsSpan((int)got));
            if (got < buffer.Length || buffer.Length == length) break;
            Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
        }
        if (got < length)
            throw new IdxFormatException(path, $"truncated: the header announces {what} ({length} bytes) but only {got} follow");
        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(stream, path, probe) > 0)
            throw new IdxFormatException(path, $"wrong size: bytes follow the {what} the header announces (trailing data)");
        return buffer;
    }

    private static int ReadFully(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer[total..]);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
        catch (InvalidDataException e)
        {
            // GZipStream reports corrupt deflate data or a truncated gzip member this way.
            throw new IdxFormatException(path, $"corrupt gzip data: {e.Message}");
        }
    }

    private static string DimensionList(ReadOnlySpan<int> dims)
    {
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++) parts[i] = dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(", ", parts);
    }
}

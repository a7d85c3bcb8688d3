using System.IO.Compression;
using System.Security.Cryptography;

namespace NormSharp.Data.Fetching;

/// <summary>SHA-256 of a dataset file's raw content, decompressing gzip candidates on the way.</summary>
public static class FileDigest
{
    /// <summary>Lower-case hex SHA-256 of the raw bytes of <paramref name="path"/> (gzip is decompressed first).</summary>
    public static string RawSha256(string path)
    {
        using var input = OpenRaw(path);
        return Convert.ToHexStringLower(SHA256.HashData(input));
    }

    /// <summary>
    /// Writes the raw content of <paramref name="source"/> (decompressing gzip) to <paramref name="destination"/>
    /// and returns its SHA-256, in one pass.
    /// </summary>
    public static string CopyRaw(string source, string destination)
    {
        using var input = OpenRaw(source);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                output.Write(buffer, 0, n);
            }
            output.Flush(flushToDisk: true);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static Stream OpenRaw(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int b0 = file.ReadByte(), b1 = file.ReadByte();
        file.Position = 0;
        return b0 == 0x1F && b1 == 0x8B ? new GZipStream(file, CompressionMode.Decompress) : file;
    }
}

namespace NormSharp.Data.Fetching;

/// <summary>
/// One file of a registered dataset. <see cref="Sha256"/> is the digest of the raw (uncompressed) IDX
/// bytes: sources deliver raw files (npm) or gzip files that differ byte-for-byte between mirrors
/// (Debian recompressed Zalando's archives), so the content, not the container, is what is verified.
/// </summary>
/// <param name="Name">Raw file name, e.g. <c>train-images-idx3-ubyte</c> (gzip variants add <c>.gz</c>).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the raw file.</param>
/// <param name="Length">Raw length in bytes.</param>
/// <param name="GzipMd5">MD5 of the <c>.gz</c> file as published by the upstream mirror (torchvision's list); informational.</param>
public sealed record DatasetFile(string Name, string Sha256, long Length, string GzipMd5);

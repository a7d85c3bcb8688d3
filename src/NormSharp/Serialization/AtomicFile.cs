namespace NormSharp.Serialization;

/// <summary>
/// Writes a file so that readers (and a process killed at any instant, even with SIGKILL) see either the
/// complete old contents or the complete new ones, never a torn file.
/// </summary>
/// <remarks>
/// The usual POSIX recipe (as in SQLite's and git's lock files): write a temporary file in the
/// <b>same directory</b> (a rename is atomic only within one filesystem), flush it to the device
/// (<c>fsync</c>, via <see cref="FileStream.Flush(bool)"/>), then <c>rename(2)</c> it over the target.
/// A crash before the rename leaves the old file and a stray <c>.tmp</c>; after it, the new file. The
/// directory entry itself is not fsynced (the base library has no call for it), so after a power loss
/// on some filesystems the rename may be lost and the old file seen — never a partial one.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Suffix of the temporary files (they start with a dot and the target's name).</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="path"/> atomically with the bytes <paramref name="write"/> produces.</summary>
    /// <exception cref="IOException">The directory is not writable or the disk is full; the target is untouched.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no directory", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"cannot write '{path}': directory '{directory}' does not exist");
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Deletes temporary files a killed writer left beside <paramref name="path"/>; returns how many.</summary>
    public static int CleanUpTemporaries(string path)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, $".{Path.GetFileName(full)}.*{TemporarySuffix}"))
            if (TryDelete(file)) removed++;
        return removed;
    }

    private static bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

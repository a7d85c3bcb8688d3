using NormSharp.Serialization;

namespace NormSharp.Tests.Serialization;

/// <summary><see cref="AtomicFile"/>: a write either replaces the file completely or leaves it untouched.</summary>
public class AtomicFileTests
{
    [Fact]
    public void ReplacesTheFileAndLeavesNoTemporary()
    {
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("a.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        AtomicFile.WriteAllBytes(path, [9, 8]);
        Assert.Equal([9, 8], File.ReadAllBytes(path));
        Assert.Equal(["a.bin"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void FailureMidWriteKeepsTheOldFileAndRemovesTheTemporary()
    {
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("a.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full (simulated)");
        }));
        Assert.Equal("disk full (simulated)", e.Message);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["a.bin"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void TemporaryLivesInTheTargetDirectoryUntilTheRename()
    {
        // A rename is atomic only within one filesystem: the temporary must sit beside the target.
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("a.bin");
        string[]? during = null;
        AtomicFile.Write(path, stream =>
        {
            stream.WriteByte(1);
            during = Directory.GetFiles(dir.Path);
        });
        var temporary = Assert.Single(during!);
        Assert.StartsWith(".a.bin.", Path.GetFileName(temporary));
        Assert.EndsWith(AtomicFile.TemporarySuffix, temporary);
        Assert.False(File.Exists(temporary));
    }

    [Fact]
    public void MissingDirectoryIsAClearError()
    {
        using var dir = PersistenceModels.TempDir();
        var e = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllBytes(Path.Combine(dir.Path, "no", "a.bin"), [1]));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void CleanUpRemovesOnlyStrayTemporariesOfThatFile()
    {
        using var dir = PersistenceModels.TempDir();
        string path = dir.File("ck.safetensors");
        File.WriteAllBytes(path, [1]);
        File.WriteAllBytes(dir.File(".ck.safetensors.123.abc.tmp"), [2]);
        File.WriteAllBytes(dir.File(".other.safetensors.1.x.tmp"), [3]);
        Assert.Equal(1, AtomicFile.CleanUpTemporaries(path));
        Assert.Equal(new[] { ".other.safetensors.1.x.tmp", "ck.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }
}

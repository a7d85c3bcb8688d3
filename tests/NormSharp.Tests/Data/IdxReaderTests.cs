using NormSharp.Data;

namespace NormSharp.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly IdxTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawAndGzipImagesAndLabelsAlike(bool gzip)
    {
        var raw = IdxTestFiles.ImageBytes(3, 4, 5);
        string images = _files.Write("images", gzip ? IdxTestFiles.Gzip(raw) : raw);
        var labelRaw = IdxTestFiles.LabelBytes([2, 0, 9]);
        string labels = _files.Write("labels.bin", gzip ? IdxTestFiles.Gzip(labelRaw) : labelRaw); // name says nothing: magic bytes decide

        Assert.Equal(gzip, IdxReader.IsGzip(images));
        var read = IdxReader.ReadImages(images);
        Assert.Equal((3, 4, 5), (read.Count, read.Rows, read.Columns));
        Assert.Equal(raw.AsSpan(16).ToArray(), read.Pixels);
        Assert.Equal(new byte[] { 2, 0, 9 }, IdxReader.ReadLabels(labels, 10));
    }

    [Fact]
    public void DatasetScalesPixelsToUnitIntervalInBothLayouts()
    {
        string images = _files.Write("i", IdxTestFiles.ImageBytes(2, 2, 3, p => p == 0 ? (byte)255 : (byte)p));
        string labels = _files.Write("l", IdxTestFiles.LabelBytes([1, 0]));
        var flat = IdxDataset.Load("t", images, labels, 2, ImageLayout.Flatten);
        var nchw = IdxDataset.Load("t", images, labels, 2, ImageLayout.Image);
        Assert.Equal(new[] { 2, 6 }, flat.Features.Shape);
        Assert.Equal(new[] { 2, 1, 2, 3 }, nchw.Features.Shape);
        Assert.Equal(1f, flat.Features[0]);
        Assert.Equal(5f / 255f, flat.Features[5]);
        Assert.Equal(flat.Features.ToArray(), nchw.Features.ToArray());
        Assert.Equal(new[] { 1f, 0f }, flat.Targets.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedImageFileIsRejected(bool gzip)
    {
        var raw = IdxTestFiles.ImageBytes(10, 28, 28);
        var cut = raw.AsSpan(0, raw.Length - 100).ToArray();
        string path = _files.Write("truncated-images", gzip ? IdxTestFiles.Gzip(cut) : cut);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));
        AssertNames(e, path, "truncated");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedGzipStreamIsRejected(bool cutInsideHeader)
    {
        var gz = IdxTestFiles.Gzip(IdxTestFiles.ImageBytes(50, 28, 28));
        string path = _files.Write("cut.gz", gz.AsSpan(0, cutInsideHeader ? 12 : gz.Length / 2).ToArray());
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.True(e.Problem.Contains("truncated") || e.Problem.Contains("corrupt gzip"), e.Problem);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        string path = _files.Write("short", IdxTestFiles.ImageBytes(1, 2, 2).AsSpan(0, 10).ToArray());
        AssertNames(Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path)), path, "truncated header");
    }

    [Fact]
    public void LabelFileReadAsImagesNamesBothMagicNumbers()
    {
        string path = _files.Write("labels-not-images", IdxTestFiles.LabelBytes([1, 2, 3]));
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));
        AssertNames(e, path, "wrong magic number 2049");
        Assert.Contains("expected 2051", e.Message);
        Assert.Contains("label file", e.Message);
    }

    [Fact]
    public void LittleEndianMagicIsRejected()
    {
        var bytes = IdxTestFiles.LabelBytes([1]);
        Array.Reverse(bytes, 0, 4); // 0x01080000: the header written little-endian
        string path = _files.Write("little-endian", bytes);
        AssertNames(Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path)), path, "wrong magic number");
    }

    [Fact]
    public void TrailingDataIsAWrongSize()
    {
        var bytes = IdxTestFiles.ImageBytes(2, 3, 3).Concat(new byte[7]).ToArray();
        string path = _files.Write("too-long", bytes);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));
        AssertNames(e, path, "wrong size");
        Assert.Contains("needs 34 bytes but the file has 41", e.Message);
    }

    [Fact]
    public void TrailingDataInsideGzipIsAWrongSize()
    {
        var bytes = IdxTestFiles.LabelBytes([1, 2]).Concat(new byte[3]).ToArray();
        string path = _files.Write("too-long.gz", IdxTestFiles.Gzip(bytes));
        AssertNames(Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path)), path, "wrong size");
    }

    [Fact]
    public void HeaderCountLargerThanTheDataIsAWrongSize()
    {
        var bytes = IdxTestFiles.LabelBytes([1, 2, 3]);
        bytes[7] = 200; // header claims 200 labels, 3 present
        string path = _files.Write("count-lies", bytes);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path));
        AssertNames(e, path, "wrong size");
        Assert.Contains("(truncated)", e.Message);
    }

    [Fact]
    public void ForgedHugeHeaderInsideGzipIsTruncatedNotAnOutOfMemory()
    {
        var bytes = IdxTestFiles.ImageBytes(2, 28, 28);
        bytes[4] = 0x00; bytes[5] = 0x20; bytes[6] = 0; bytes[7] = 0; // 2,097,152 images of 28×28 claimed (1.6 GB)
        string path = _files.Write("forged.gz", IdxTestFiles.Gzip(bytes));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the reader trusted the header's size");
        AssertNames(e, path, "truncated: the header announces 2097152 images of 28×28");
    }

    [Fact]
    public void OutOfRangeLabelNamesTheLabelAndItsIndex()
    {
        string path = _files.Write("bad-label", IdxTestFiles.LabelBytes([3, 9, 10, 1]));
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path, numClasses: 10));
        AssertNames(e, path, "label 10 at index 2 is outside [0, 10)");
    }

    [Fact]
    public void RandomBytesAreRejectedAsNotIdx()
    {
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        bytes[0] = 0x7F; // make sure the "file" is not accidentally gzip or a valid header
        string path = _files.Write("noise", bytes);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));
        AssertNames(e, path, "wrong magic number");
        Assert.Contains("not an IDX file", e.Message);
    }

    [Fact]
    public void RandomBytesBehindAGzipSignatureAreCorruptGzip()
    {
        var bytes = new byte[4096];
        new Random(4).NextBytes(bytes);
        bytes[0] = 0x1F;
        bytes[1] = 0x8B;
        string path = _files.Write("noise.gz", bytes);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));
        AssertNames(e, path, "corrupt gzip");
    }

    [Fact]
    public void EmptyFileIsTruncated()
    {
        string path = _files.Write("empty", []);
        AssertNames(Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path)), path, "truncated");
    }

    [Fact]
    public void ImagesAndLabelsOfDifferentCountsDisagree()
    {
        string images = _files.Write("i3", IdxTestFiles.ImageBytes(3, 2, 2));
        string labels = _files.Write("l2", IdxTestFiles.LabelBytes([0, 1]));
        var e = Assert.Throws<InvalidDataException>(() => IdxDataset.Load("t", images, labels, 2, ImageLayout.Flatten));
        Assert.Contains("3 images but 2 labels", e.Message);
    }

    private static void AssertNames(IdxFormatException e, string path, string problem)
    {
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
    }
}

using System.Buffers.Binary;
using System.Text;
using NormSharp.Serialization;

namespace NormSharp.Tests.Serialization;

/// <summary>The safetensors byte layout: what the writer produces, and round trips of both dtypes.</summary>
public class SafetensorsFormatTests
{
    [Fact]
    public void WriterProducesTheReferenceLayout()
    {
        var file = new SafetensorsFile();
        file.Metadata["format"] = "pt";
        file.Tensors.Add("w", SafetensorsTensor.FromTensor(Tensor.FromArray([1f, -2f, 0.5f], 3)));
        file.Tensors.Add("n", SafetensorsTensor.FromInt64([42], []));
        byte[] bytes = file.ToBytes();

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8); // data section 8-byte aligned, as the reference pads
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.Equal(
            """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"n":{"dtype":"I64","shape":[],"data_offsets":[12,20]}}""",
            header.TrimEnd(' '));
        var data = bytes.AsSpan(8 + (int)headerLength);
        Assert.Equal(20, data.Length);
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(data[4..]));
        Assert.Equal(42L, BinaryPrimitives.ReadInt64LittleEndian(data[12..]));
    }

    [Fact]
    public void RoundTripKeepsValuesShapesAndMetadata()
    {
        using var dir = PersistenceModels.TempDir();
        var rng = new Rng(3);
        var values = new float[2 * 3 * 4];
        for (int i = 0; i < values.Length; i++) values[i] = rng.NextGaussian();
        values[5] = float.NaN;
        values[6] = float.NegativeInfinity;
        values[7] = -0f;
        var file = new SafetensorsFile();
        file.Metadata["note"] = "ünïcode → ok";
        file.Tensors.Add("a.weight", SafetensorsTensor.FromTensor(Tensor.FromArray(values, 2, 3, 4)));
        file.Tensors.Add("empty", SafetensorsTensor.FromTensor(new Tensor(0, 5)));
        file.Tensors.Add("order", SafetensorsTensor.FromInt64([long.MinValue, -1, 0, long.MaxValue], 2, 2));
        string path = dir.File("t.safetensors");
        file.Write(path);

        var read = SafetensorsFile.Read(path);
        Assert.Equal("ünïcode → ok", read.Metadata["note"]);
        Assert.Equal(["a.weight", "empty", "order"], read.Tensors.Keys);
        var a = read.Tensors["a.weight"].ToTensor();
        Assert.Equal([2, 3, 4], a.Shape);
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(values[i]), BitConverter.SingleToInt32Bits(a[i]));
        Assert.Equal([0, 5], read.Tensors["empty"].Shape);
        Assert.Equal([long.MinValue, -1, 0, long.MaxValue], read.Tensors["order"].ToInt64Array());
    }

    [Fact]
    public void ReaderAcceptsTensorsListedOutOfOffsetOrder()
    {
        // Writers may list header entries in any order (the reference sorts them by dtype, then name).
        byte[] bytes = SafetensorsBytes.Build(
            """{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
            [0, 0, 128, 63, 0, 0, 0, 64]);
        var file = SafetensorsBytes.Read(bytes);
        Assert.Equal(2f, file.Tensors["b"].ToTensor()[0]);
        Assert.Equal(1f, file.Tensors["a"].ToTensor()[0]);
    }

    [Fact]
    public void I64ConvertsToFloatTensor()
    {
        var tensor = SafetensorsTensor.FromInt64([7, 1 << 24], 2).ToTensor();
        Assert.Equal([7f, 16777216f], tensor.ToArray());
    }
}

/// <summary>Builds raw safetensors files from a header string and data bytes (no validation).</summary>
internal static class SafetensorsBytes
{
    public static byte[] Build(string header, byte[] data, ulong? declaredLength = null) =>
        Build(Encoding.UTF8.GetBytes(header), data, declaredLength);

    public static byte[] Build(byte[] header, byte[] data, ulong? declaredLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static SafetensorsFile Read(byte[] bytes, SafetensorsLimits? limits = null)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return SafetensorsReader.Read(stream, "hostile.safetensors", limits);
    }
}

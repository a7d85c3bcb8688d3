using System.Text;
using NormSharp.Serialization;

namespace NormSharp.Tests.Serialization;

/// <summary>Corrupt and hostile safetensors files: each gives a <see cref="SafetensorsFormatException"/>
/// naming the problem, before any tensor memory is allocated.</summary>
public class SafetensorsHostileTests
{
    private static string Fails(byte[] bytes, SafetensorsLimits? limits = null)
    {
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsBytes.Read(bytes, limits));
        Assert.Equal("hostile.safetensors", e.FilePath);
        Assert.StartsWith("safetensors file 'hostile.safetensors': ", e.Message);
        return e.Problem;
    }

    private static byte[] OneTensor(string entry, int dataBytes) =>
        SafetensorsBytes.Build("{\"t\":" + entry + "}", new byte[dataBytes]);

    [Fact]
    public void FileShorterThanTheLengthPrefix() =>
        Assert.Contains("too short for the 8-byte header length", Fails([1, 2, 3]));

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        var bytes = SafetensorsBytes.Build("{}", [], declaredLength: 1UL << 40);
        Assert.Contains("header length 1099511627776 exceeds the 2 bytes that follow it", Fails(bytes));
    }

    [Fact]
    public void HeaderLengthNearULongMaxDoesNotOverflow() =>
        Assert.Contains("exceeds", Fails(SafetensorsBytes.Build("{}", [], declaredLength: ulong.MaxValue)));

    [Fact]
    public void HeaderAboveTheLimit()
    {
        var bytes = SafetensorsBytes.Build("{}" + new string(' ', 100), []);
        Assert.Contains("exceeds the limit of 64 bytes", Fails(bytes, new SafetensorsLimits { MaxHeaderBytes = 64 }));
    }

    [Fact]
    public void NonUtf8Header() =>
        Assert.Equal("header is not valid UTF-8", Fails(SafetensorsBytes.Build([(byte)'{', 0xC3, 0x28, (byte)'}'], [])));

    [Fact]
    public void HeaderThatIsNotAnObject() =>
        Assert.Contains("must start with '{'", Fails(SafetensorsBytes.Build("[1,2]", [])));

    [Fact]
    public void MalformedJson() =>
        Assert.Contains("not valid JSON", Fails(SafetensorsBytes.Build("{\"t\": ", [])));

    [Fact]
    public void DeepJsonNesting()
    {
        string header = "{\"t\":" + new string('[', 100_000) + new string(']', 100_000) + "}";
        Assert.Contains("within 4 nesting levels", Fails(SafetensorsBytes.Build(header, [])));
    }

    [Fact]
    public void UnknownDtype() =>
        Assert.Contains("unknown dtype 'Q7'", Fails(OneTensor("""{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}""", 4)));

    [Fact]
    public void KnownButUnsupportedDtype() =>
        Assert.Contains("dtype F16, which NormSharp does not read", Fails(OneTensor("""{"dtype":"F16","shape":[2],"data_offsets":[0,4]}""", 4)));

    [Fact]
    public void OffsetsOutOfBounds() =>
        Assert.Contains("run past the end of the data section (8 bytes",
            Fails(OneTensor("""{"dtype":"F32","shape":[4],"data_offsets":[0,16]}""", 8)));

    [Fact]
    public void OverlappingOffsets()
    {
        var bytes = SafetensorsBytes.Build(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);
        Assert.Contains("overlap the previous tensor", Fails(bytes));
    }

    [Fact]
    public void GapBetweenTensors()
    {
        var bytes = SafetensorsBytes.Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12]);
        Assert.Contains("leave a gap after byte 4", Fails(bytes));
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensor() =>
        Assert.Contains("cover 4 bytes but the data section holds 9",
            Fails(OneTensor("""{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 9)));

    [Fact]
    public void OffsetsDisagreeWithShape() =>
        Assert.Contains("span 8 bytes but F32[3] needs 12",
            Fails(OneTensor("""{"dtype":"F32","shape":[3],"data_offsets":[0,8]}""", 8)));

    [Fact]
    public void ReversedOffsets() =>
        Assert.Contains("end before they begin", Fails(OneTensor("""{"dtype":"F32","shape":[1],"data_offsets":[4,0]}""", 4)));

    [Fact]
    public void NegativeOffset() =>
        Assert.Contains("is not a non-negative integer", Fails(OneTensor("""{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}""", 4)));

    [Fact]
    public void HugeShapeWouldOverflow()
    {
        string problem = Fails(OneTensor("""{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}""", 4));
        Assert.Contains("exceeds the limit of 2147483647 elements", problem);
    }

    [Fact]
    public void HugeShapeWithMatchingHugeOffsetsStillNeedsTheBytes() =>
        Assert.Contains("run past the end",
            Fails(OneTensor("""{"dtype":"F32","shape":[500000000],"data_offsets":[0,2000000000]}""", 4)));

    [Fact]
    public void NegativeOrFractionalDimension()
    {
        Assert.Contains("shape entry 0 is not a non-negative integer (-1)", Fails(OneTensor("""{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}""", 0)));
        Assert.Contains("shape entry 1 is not a non-negative integer (1.5)", Fails(OneTensor("""{"dtype":"F32","shape":[1,1.5],"data_offsets":[0,4]}""", 4)));
    }

    [Fact]
    public void RankAboveTheLimit() =>
        Assert.Contains("rank 9, above the limit of 8",
            Fails(OneTensor("""{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}""", 4)));

    [Fact]
    public void DuplicateTensorName()
    {
        var bytes = SafetensorsBytes.Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);
        Assert.Contains("lists 'a' twice", Fails(bytes));
    }

    [Fact]
    public void MissingOrExtraFields()
    {
        Assert.Contains("lacks a 'shape' array", Fails(OneTensor("""{"dtype":"F32","data_offsets":[0,4]}""", 4)));
        Assert.Contains("unexpected or repeated field 'evil'", Fails(OneTensor("""{"dtype":"F32","shape":[1],"data_offsets":[0,4],"evil":1}""", 4)));
        Assert.Contains("lacks a 'data_offsets' array of two integers", Fails(OneTensor("""{"dtype":"F32","shape":[1],"data_offsets":[0]}""", 4)));
    }

    [Fact]
    public void MetadataMustBeStrings() =>
        Assert.Contains("metadata 'n' must be a string (found Number)",
            Fails(SafetensorsBytes.Build("""{"__metadata__":{"n":1}}""", [])));

    [Fact]
    public void TooManyTensors()
    {
        var header = new StringBuilder("{");
        for (int i = 0; i < 3; i++) header.Append($"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}},");
        header.Length--;
        header.Append('}');
        Assert.Contains("more than 2 tensors", Fails(SafetensorsBytes.Build(header.ToString(), []), new SafetensorsLimits { MaxTensors = 2 }));
    }

    [Fact]
    public void TruncatedRealFileIsDetected()
    {
        var file = new SafetensorsFile();
        file.Tensors.Add("w", SafetensorsTensor.FromTensor(new Tensor(10, 10)));
        byte[] bytes = file.ToBytes();
        Assert.Contains("run past the end", Fails(bytes[..^7]));
    }
}

using NormSharp.Serialization;

namespace NormSharp.Tests.Reliability;

/// <summary>Compares trained models saved by <c>normsharp train --save</c>.</summary>
internal static class TrainRunFiles
{
    /// <summary>Asserts two model files hold bit-identical tensors under the same names.</summary>
    public static void AssertSameWeights(string expected, string actual)
    {
        var a = SafetensorsFile.Read(expected);
        var b = SafetensorsFile.Read(actual);
        Assert.Equal(a.Tensors.Keys, b.Tensors.Keys);
        foreach (var (name, tensor) in a.Tensors)
            Assert.True(tensor.Bytes.SequenceEqual(b.Tensors[name].Bytes), $"tensor '{name}' differs between {expected} and {actual}");
    }
}

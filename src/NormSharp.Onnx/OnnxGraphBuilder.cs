using System.Runtime.InteropServices;
using Google.Protobuf;
using NormSharp.Onnx.Proto;

namespace NormSharp.Onnx;

/// <summary>
/// Accumulates an ONNX graph: nodes in topological order, float initializers (stored little-endian in
/// <c>raw_data</c>, as the specification allows and <c>torch.onnx</c> does) and unique value names.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new();

    /// <summary>Adds a float32 constant named <paramref name="name"/> and returns the name.</summary>
    public string Initializer(string name, ReadOnlySpan<float> values, params ReadOnlySpan<int> shape)
    {
        Reserve(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int d in shape) tensor.Dims.Add(d);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this machine is not");
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a node and returns its (single) output's name, <paramref name="output"/> made unique.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
    {
        string unique = Unique(output);
        var node = new NodeProto { OpType = opType, Name = Unique(name) };
        node.Input.AddRange(inputs);
        node.Output.Add(unique);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return unique;
    }

    /// <summary>A name not used yet: <paramref name="wanted"/>, or it with _1, _2, … appended.</summary>
    public string Unique(string wanted)
    {
        if (_names.Add(wanted)) return wanted;
        for (int i = 1; ; i++)
            if (_names.Add($"{wanted}_{i}")) return $"{wanted}_{i}";
    }

    private void Reserve(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name '{name}' is used twice");
    }

    /// <summary>A float tensor value with the given dimensions (null entries are symbolic, named by <paramref name="symbols"/>).</summary>
    public static ValueInfoProto FloatValue(string name, IReadOnlyList<long?>? dims, IReadOnlyList<string>? symbols = null)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float };
        if (dims is not null)
        {
            var shape = new TensorShapeProto();
            for (int i = 0; i < dims.Count; i++)
                shape.Dim.Add(dims[i] is { } d
                    ? new TensorShapeProto.Types.Dimension { DimValue = d }
                    : new TensorShapeProto.Types.Dimension { DimParam = symbols?[i] ?? $"d{i}" });
            tensorType.Shape = shape;
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}

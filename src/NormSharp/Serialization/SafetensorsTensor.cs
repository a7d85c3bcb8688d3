using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace NormSharp.Serialization;

/// <summary>One tensor of a safetensors file: dtype, shape and the raw little-endian bytes.</summary>
public sealed class SafetensorsTensor
{
    private readonly byte[] _bytes;

    internal SafetensorsTensor(SafetensorsDType dtype, int[] shape, byte[] bytes)
    {
        DType = dtype;
        Shape = shape;
        _bytes = bytes;
    }

    /// <summary>The element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The dimensions, outermost first (empty for a scalar).</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements (1 for a scalar).</summary>
    public int ElementCount => _bytes.Length / SafetensorsDTypes.SizeOf(DType);

    /// <summary>The raw little-endian bytes, as stored in the file.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>An F32 copy of <paramref name="tensor"/>'s elements.</summary>
    public static SafetensorsTensor FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var bytes = new byte[checked(tensor.Size * sizeof(float))];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(tensor.Span).CopyTo(bytes);
        else
            for (int i = 0; i < tensor.Size; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), tensor.Span[i]);
        return new SafetensorsTensor(SafetensorsDType.F32, (int[])tensor.Shape.Clone(), bytes);
    }

    /// <summary>An I64 tensor of the given values and shape (e.g. a step counter, a permutation).</summary>
    public static SafetensorsTensor FromInt64(ReadOnlySpan<long> values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }
        if (count != values.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements but {values.Length} values were given", nameof(shape));
        var bytes = new byte[checked(values.Length * sizeof(long))];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return new SafetensorsTensor(SafetensorsDType.I64, (int[])shape.Clone(), bytes);
    }

    /// <summary>
    /// The elements as a float32 <see cref="Tensor"/> of the same shape. I64 values are converted (exact up
    /// to 2^24, which covers <c>num_batches_tracked</c> counts of any realistic run).
    /// </summary>
    public Tensor ToTensor()
    {
        var tensor = new Tensor(Shape);
        var target = tensor.Span;
        if (DType == SafetensorsDType.F32)
        {
            if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(_bytes).CopyTo(target);
            else for (int i = 0; i < target.Length; i++) target[i] = BinaryPrimitives.ReadSingleLittleEndian(_bytes.AsSpan(4 * i));
        }
        else
        {
            for (int i = 0; i < target.Length; i++) target[i] = BinaryPrimitives.ReadInt64LittleEndian(_bytes.AsSpan(8 * i));
        }
        return tensor;
    }

    /// <summary>The elements as 64-bit integers.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not I64.</exception>
    public long[] ToInt64Array()
    {
        if (DType != SafetensorsDType.I64)
            throw new InvalidOperationException($"tensor is {SafetensorsDTypes.Name(DType)}, not I64");
        var values = new long[ElementCount];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(_bytes.AsSpan(8 * i));
        return values;
    }

    public override string ToString() => $"{SafetensorsDTypes.Name(DType)}[{string.Join(", ", Shape)}]";
}

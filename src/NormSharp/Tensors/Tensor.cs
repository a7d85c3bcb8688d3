using System.Runtime.CompilerServices;

namespace NormSharp;

/// <summary>
/// A dense float32 tensor, contiguous and row-major (NCHW for images), rank 0 to 4 (higher ranks are
/// accepted but no kernel needs them).
/// </summary>
/// <remarks>
/// The storage array is allocated pinned (<see cref="GC.AllocateUninitializedArray{T}(int, bool)"/>) so
/// kernels may take raw pointers to it and hand them to worker threads without pinning per call.
/// Layers keep their output and gradient tensors and reuse them while the batch shape stays the same
/// (<see cref="Ensure(ref Tensor?, ReadOnlySpan{int})"/>): a steady-state training step allocates nothing.
/// </remarks>
public sealed class Tensor
{
    private int[] _shape;

    /// <summary>The backing storage; only the first <see cref="Size"/> elements are meaningful.</summary>
    public float[] Data { get; private set; }

    /// <summary>The dimensions, outermost first. Do not mutate; use <see cref="Reshape(ReadOnlySpan{int})"/>.</summary>
    public int[] Shape => _shape;

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public int Size { get; private set; }

    public int Rank => _shape.Length;

    /// <summary>The elements, as a span of exactly <see cref="Size"/> floats.</summary>
    public Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Data.AsSpan(0, Size);
    }

    private Tensor(float[] data, int[] shape, int size)
    {
        Data = data;
        _shape = shape;
        Size = size;
    }

    /// <summary>Creates a zero-filled tensor of the given shape.</summary>
    public Tensor(params ReadOnlySpan<int> shape)
    {
        int size = CheckedSize(shape);
        _shape = shape.ToArray();
        Size = size;
        Data = AllocateStorage(size);
        Array.Clear(Data, 0, size);
    }

    /// <summary>Wraps (copies) <paramref name="data"/> into a tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The shape's product differs from the data length.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        int size = CheckedSize(shape);
        if (size != data.Length)
            throw new ArgumentException(
                $"shape [{string.Join(",", shape)}] holds {size} elements but data has {data.Length}", nameof(shape));
        var t = new Tensor(AllocateStorage(size), (int[])shape.Clone(), size);
        data.AsSpan().CopyTo(t.Data);
        return t;
    }

    public static Tensor Zeros(params ReadOnlySpan<int> shape) => new(shape);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params ReadOnlySpan<int> shape)
    {
        var t = new Tensor(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A scalar (rank-0) tensor.</summary>
    public static Tensor Scalar(float value)
    {
        var t = new Tensor(ReadOnlySpan<int>.Empty);
        t.Data[0] = value;
        return t;
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>A deep copy.</summary>
    public Tensor Clone()
    {
        var t = new Tensor(AllocateStorage(Size), (int[])_shape.Clone(), Size);
        Span.CopyTo(t.Data);
        return t;
    }

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => _shape[axis < 0 ? _shape.Length + axis : axis];

    /// <summary>True when this tensor's shape equals <paramref name="shape"/>.</summary>
    public bool HasShape(ReadOnlySpan<int> shape) => shape.SequenceEqual(_shape);

    /// <summary>
    /// Makes <paramref name="tensor"/> a tensor of <paramref name="shape"/>, reusing its storage when it is
    /// large enough. Contents are unspecified afterwards. Allocates nothing when the shape is unchanged.
    /// </summary>
    public static Tensor Ensure(ref Tensor? tensor, params ReadOnlySpan<int> shape)
    {
        if (tensor is not null && tensor.HasShape(shape)) return tensor;
        int size = CheckedSize(shape);
        if (tensor is not null && tensor.Data.Length >= size)
        {
            tensor._shape = shape.ToArray();
            tensor.Size = size;
            return tensor;
        }
        tensor = new Tensor(AllocateStorage(size), shape.ToArray(), size);
        return tensor;
    }

    /// <summary>
    /// Changes this tensor's shape in place (same element count), allocating only when the rank or the
    /// dimensions change. One dimension may be -1 (inferred).
    /// </summary>
    public Tensor ReshapeInPlace(params ReadOnlySpan<int> shape)
    {
        Span<int> resolved = stackalloc int[shape.Length];
        ResolveShape(shape, Size, resolved);
        if (!resolved.SequenceEqual(_shape)) _shape = resolved.ToArray();
        return this;
    }

    /// <summary>A new tensor header over the same storage with another shape (a view). One dimension may be -1.</summary>
    public Tensor Reshape(params ReadOnlySpan<int> shape)
    {
        Span<int> resolved = stackalloc int[shape.Length];
        ResolveShape(shape, Size, resolved);
        return new Tensor(Data, resolved.ToArray(), Size);
    }

    /// <summary>Points this header at <paramref name="source"/>'s storage with the given shape (a reusable view).</summary>
    public static Tensor View(ref Tensor? view, Tensor source, params ReadOnlySpan<int> shape)
    {
        Span<int> resolved = stackalloc int[shape.Length];
        ResolveShape(shape, source.Size, resolved);
        if (view is null) return view = new Tensor(source.Data, resolved.ToArray(), source.Size);
        view.Data = source.Data;
        view.Size = source.Size;
        if (!resolved.SequenceEqual(view._shape)) view._shape = resolved.ToArray();
        return view;
    }

    public void Fill(float value) => Span.Fill(value);
    public void Clear() => Span.Clear();

    /// <summary>Copies <paramref name="source"/>'s elements into this tensor (sizes must agree).</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Size != Size)
            throw new ArgumentException($"cannot copy {source.ShapeString()} into {ShapeString()}", nameof(source));
        source.Span.CopyTo(Span);
    }

    public float this[int i]
    {
        get => Span[i];
        set => Span[i] = value;
    }

    public float this[int i, int j]
    {
        get => Data[Offset(i, j)];
        set => Data[Offset(i, j)] = value;
    }

    public float this[int n, int c, int h, int w]
    {
        get => Data[((n * _shape[1] + c) * _shape[2] + h) * _shape[3] + w];
        set => Data[((n * _shape[1] + c) * _shape[2] + h) * _shape[3] + w] = value;
    }

    private int Offset(int i, int j)
    {
        if (_shape.Length != 2) throw new InvalidOperationException($"2-index access on a rank-{Rank} tensor");
        return i * _shape[1] + j;
    }

    public string ShapeString() => "[" + string.Join(", ", _shape) + "]";

    public override string ToString() => $"Tensor{ShapeString()}";

    /// <summary>Pinned, uninitialised storage of at least one element (so a pointer to it always exists).</summary>
    internal static float[] AllocateStorage(int size) =>
        GC.AllocateUninitializedArray<float>(Math.Max(size, 1), pinned: true);

    private static int CheckedSize(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape [{string.Join(",", shape.ToArray())}]", nameof(shape));
            size *= d;
            if (size > Array.MaxLength) throw new ArgumentException($"shape [{string.Join(",", shape.ToArray())}] is too large", nameof(shape));
        }
        return (int)size;
    }

    private static void ResolveShape(ReadOnlySpan<int> shape, int size, Span<int> resolved)
    {
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException("only one dimension may be -1", nameof(shape));
                inferred = i;
            }
            else
            {
                if (shape[i] < 0) throw new ArgumentException($"negative dimension {shape[i]}", nameof(shape));
                known *= shape[i];
            }
            resolved[i] = shape[i];
        }
        if (inferred >= 0)
        {
            if (known == 0 || size % known != 0)
                throw new ArgumentException($"cannot infer a dimension: {size} elements into [{string.Join(",", shape.ToArray())}]", nameof(shape));
            resolved[inferred] = (int)(size / known);
        }
        else if (known != size)
            throw new ArgumentException($"cannot view {size} elements as [{string.Join(",", shape.ToArray())}]", nameof(shape));
    }
}

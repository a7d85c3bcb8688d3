using System.Runtime.InteropServices;

namespace NormSharp.Kernels;

/// <summary>
/// Floats in 64-byte aligned native memory (a cache line, one <c>Vector512</c>), so vector loads of it never straddle two
/// lines; freed by <see cref="Dispose"/> or the finalizer. The storage of the prepared weights (<see cref="GemmPackedB"/>,
/// a Dense layer's inference copies).
/// </summary>
internal sealed unsafe class AlignedFloats : IDisposable
{
    private float* _data;

    /// <summary><paramref name="length"/> uninitialised floats (at least one is allocated).</summary>
    public AlignedFloats(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, int.MaxValue);
        Length = (int)length;
        _data = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1L, length) * sizeof(float), 64);
    }

    public int Length { get; }

    /// <summary>The first float.</summary>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public float* Pointer => _data != null ? _data : throw new ObjectDisposedException(nameof(AlignedFloats));

    public Span<float> Span => new(Pointer, Length);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~AlignedFloats() => Free();

    private void Free()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Four consecutive AVX-512 vectors (64 floats) held in registers between their load and their store, and the one
/// streaming loop (<see cref="Stream{TOp}(ref float, ref float, int, TOp)"/>, one or two inputs) that loads each block
/// before storing the one before it, for the planar BN applies and the element-wise activations.
/// </summary>
/// <remarks>
/// Same-sized tensors allocated one after another start a few dozen bytes apart within a 4 KB page when their size is a
/// multiple of 4 KB (LeNet's feature maps: one array header apart). A plain one-vector loop from one to the other then
/// makes every load wait on the store just before it, because a load whose address matches a pending store's in bits
/// 11–0 is held as if dependent on it (AMD's optimisation guide, 25112, "Store-to-Load Forwarding — False
/// Dependencies"). With one block of lookahead the stores that could match are at least 256 bytes behind the loads.
/// Measured (2 threads, in-process A/B): BN [256, 6, 24, 24] forward+backward in the benchmark's layout (x, dy, y, dx
/// 24 bytes apart mod 4 KB) 240–262 → 195–224 µs, [256, 6, 28, 28] 369–375 → 318–327 µs; ReLU forward on
/// [256, 6, 28, 28] with y 48 bytes past x 90–92 → 70–89 µs (62–87 with y 2.3 KB away). The 256-bit paths keep their
/// plain loops (not measured on a machine without AVX-512).
/// </remarks>
internal readonly struct VectorBlock(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
{
    /// <summary>Floats per block.</summary>
    public const int Count = 64;

    public readonly Vector512<float> V0 = v0, V1 = v1, V2 = v2, V3 = v3;

    /// <summary>One vector's operation in a streaming loop of one input.</summary>
    internal interface IMap
    {
        Vector512<float> Invoke(Vector512<float> x);
    }

    /// <summary>The same operation on one 256-bit vector, for the strip loops of machines without AVX-512
    /// (BatchNorm.FusedStrips256.cs).</summary>
    internal interface IMap256
    {
        Vector256<float> Invoke(Vector256<float> x);
    }

    /// <summary>One vector's operation in a streaming loop of two inputs.</summary>
    internal interface IZip
    {
        Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
    }

    /// <summary>y[i] = op(x[i]) over the whole blocks of [0, n), each block loaded before the one before it is stored.
    /// Returns the floats covered: a multiple of <see cref="Count"/>, 0 when n &lt; 2·Count (the caller's vector and
    /// scalar loops do the rest).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Stream<TOp>(ref float x, ref float y, int n, TOp op) where TOp : struct, IMap
    {
        if (n < 2 * Count) return 0;
        int i = 0;
        var current = Load(ref x, 0);
        for (; i <= n - 2 * Count; i += Count)
        {
            var next = Load(ref x, (nuint)(i + Count)); // before this block's stores
            current.Map(op).Store(ref y, (nuint)i);
            current = next;
        }
        current.Map(op).Store(ref y, (nuint)i);
        return i + Count;
    }

    /// <summary>y[i] = op(a[i], b[i]) over the whole blocks of [0, n), as <see cref="Stream{TOp}(ref float, ref float, int, TOp)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Stream<TOp>(ref float a, ref float b, ref float y, int n, TOp op) where TOp : struct, IZip
    {
        if (n < 2 * Count) return 0;
        int i = 0;
        VectorBlock currentA = Load(ref a, 0), currentB = Load(ref b, 0);
        for (; i <= n - 2 * Count; i += Count)
        {
            nuint next = (nuint)(i + Count);
            VectorBlock nextA = Load(ref a, next), nextB = Load(ref b, next); // before this block's stores
            currentA.Zip(op, currentB).Store(ref y, (nuint)i);
            (currentA, currentB) = (nextA, nextB);
        }
        currentA.Zip(op, currentB).Store(ref y, (nuint)i);
        return i + Count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static VectorBlock Load(ref float source, nuint at) => new(Vector512.LoadUnsafe(ref source, at),
        Vector512.LoadUnsafe(ref source, at + 16), Vector512.LoadUnsafe(ref source, at + 32), Vector512.LoadUnsafe(ref source, at + 48));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(ref float target, nuint at)
    {
        V0.StoreUnsafe(ref target, at);
        V1.StoreUnsafe(ref target, at + 16);
        V2.StoreUnsafe(ref target, at + 32);
        V3.StoreUnsafe(ref target, at + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private VectorBlock Map<TOp>(TOp op) where TOp : struct, IMap => new(op.Invoke(V0), op.Invoke(V1), op.Invoke(V2), op.Invoke(V3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private VectorBlock Zip<TOp>(TOp op, in VectorBlock b) where TOp : struct, IZip =>
        new(op.Invoke(V0, b.V0), op.Invoke(V1, b.V1), op.Invoke(V2, b.V2), op.Invoke(V3, b.V3));
}

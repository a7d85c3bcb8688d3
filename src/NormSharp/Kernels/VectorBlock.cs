using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Four consecutive AVX-512 vectors (64 floats) held in registers between their load and their store, for streaming
/// loops that load each block before storing the one before it.
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe VectorBlock Load(float* source) =>
        new(Vector512.Load(source), Vector512.Load(source + 16), Vector512.Load(source + 32), Vector512.Load(source + 48));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorBlock Load(ref float source, nuint at) => new(Vector512.LoadUnsafe(ref source, at),
        Vector512.LoadUnsafe(ref source, at + 16), Vector512.LoadUnsafe(ref source, at + 32), Vector512.LoadUnsafe(ref source, at + 48));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* target)
    {
        V0.Store(target);
        V1.Store(target + 16);
        V2.Store(target + 32);
        V3.Store(target + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref float target, nuint at)
    {
        V0.StoreUnsafe(ref target, at);
        V1.StoreUnsafe(ref target, at + 16);
        V2.StoreUnsafe(ref target, at + 32);
        V3.StoreUnsafe(ref target, at + 48);
    }

    /// <summary>a·b + c lane by lane (one rounding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorBlock FusedMultiplyAdd(in VectorBlock a, Vector512<float> b, Vector512<float> c) =>
        new(Vector512.FusedMultiplyAdd(a.V0, b, c), Vector512.FusedMultiplyAdd(a.V1, b, c),
            Vector512.FusedMultiplyAdd(a.V2, b, c), Vector512.FusedMultiplyAdd(a.V3, b, c));

    /// <summary>a·b + c lane by lane (one rounding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorBlock FusedMultiplyAdd(in VectorBlock a, Vector512<float> b, in VectorBlock c) =>
        new(Vector512.FusedMultiplyAdd(a.V0, b, c.V0), Vector512.FusedMultiplyAdd(a.V1, b, c.V1),
            Vector512.FusedMultiplyAdd(a.V2, b, c.V2), Vector512.FusedMultiplyAdd(a.V3, b, c.V3));
}

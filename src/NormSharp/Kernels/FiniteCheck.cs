using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Finds NaN and ±∞ in float data — the numeric-fault guard of training (a non-finite loss, gradient or
/// weight stops or skips a step). The plain version is <see cref="FiniteCheckReference"/>.
/// </summary>
/// <remarks>
/// A value v is finite exactly when v − v == 0: ∞ − ∞ and NaN − NaN are NaN, and NaN compares unequal
/// to everything. One subtraction and one compare per element, so scanning every gradient each step
/// costs one pass over memory (well under 1 % of a training step's arithmetic).
/// </remarks>
public static class FiniteCheck
{
    /// <summary>Index of the first non-finite element of <paramref name="values"/>, or −1 when all are finite.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // Scalar math: for i: if (!float.IsFinite(values[i])) return i;
        int i = 0;
        ref float start = ref MemoryMarshal.GetReference(values);
        if (Vector256.IsHardwareAccelerated && values.Length >= Vector256<float>.Count)
        {
            int last = values.Length - Vector256<float>.Count;
            for (; i <= last; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                if (!Vector256.EqualsAll(v - v, Vector256<float>.Zero)) return i + FirstInBlock(values.Slice(i, Vector256<float>.Count));
            }
        }
        for (; i < values.Length; i++)
        {
            float v = Unsafe.Add(ref start, i);
            if (v - v != 0) return i;
        }
        return -1;
    }

    /// <summary>True when every element of <paramref name="values"/> is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> values) => IndexOfNonFinite(values) < 0;

    private static int FirstInBlock(ReadOnlySpan<float> block)
    {
        for (int j = 0; j < block.Length; j++)
            if (!float.IsFinite(block[j])) return j;
        return 0; // unreachable: the vector test found one
    }
}

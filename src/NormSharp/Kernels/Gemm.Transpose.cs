using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// dst[q·dstStride + r] = src[r·srcStride + q] for r &lt; <paramref name="rows"/>, q &lt; <paramref name="count"/>:
    /// the packing of a row-major operand whose panel runs across its rows (A untransposed, B transposed).
    /// 8×8 blocks go through registers (AVX), 4×4 blocks through SSE, the rest element by element;
    /// a scalar loop would make one strided store per element.
    /// </summary>
    private static void PackTransposed(float* src, nint srcStride, int rows, int count, float* dst, nint dstStride)
    {
        int r = 0;
        if (Avx.IsSupported)
            for (; r + 8 <= rows; r += 8)
            {
                float* s = src + r * srcStride;
                int q = 0;
                for (; q + 8 <= count; q += 8) Transpose8x8(s + q, srcStride, dst + q * dstStride + r, dstStride);
                for (; q < count; q++)
                    for (int i = 0; i < 8; i++) dst[q * dstStride + r + i] = s[i * srcStride + q];
            }
        // Six rows (the AVX2 kernel's MR): 8×8 transposes with two zero rows, six floats stored per column. Through the
        // 4×4 blocks, two of every six rows went element by element: packing 1024×1024's A was 14% of the product.
        if (Avx.IsSupported && rows - r == 6)
        {
            float* s = src + r * srcStride;
            int q = 0;
            for (; q + 8 <= count; q += 8) Transpose6x8(s + q, srcStride, dst + q * dstStride + r, dstStride);
            for (; q < count; q++)
                for (int i = 0; i < 6; i++) dst[q * dstStride + r + i] = s[i * srcStride + q];
            return;
        }
        if (Sse.IsSupported)
            for (; r + 4 <= rows; r += 4)
            {
                float* s = src + r * srcStride;
                int q = 0;
                for (; q + 4 <= count; q += 4) Transpose4x4(s + q, srcStride, dst + q * dstStride + r, dstStride);
                for (; q < count; q++)
                    for (int i = 0; i < 4; i++) dst[q * dstStride + r + i] = s[i * srcStride + q];
            }
        for (; r < rows; r++)
        {
            float* s = src + r * srcStride;
            for (int q = 0; q < count; q++) dst[q * dstStride + r] = s[q];
        }
    }

    /// <summary>Transposes the 8×8 block at <paramref name="src"/> into <paramref name="dst"/>: the classic
    /// unpack / shuffle / 128-bit-lane permute sequence (Intel optimisation manual, "8x8 matrix transpose").</summary>
    private static void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        var (o0, o1, o2, o3, o4, o5, o6, o7) = Transpose(r0, r1, r2, r3, r4, r5, r6, r7);
        Avx.Store(dst, o0);
        Avx.Store(dst + dstStride, o1);
        Avx.Store(dst + 2 * dstStride, o2);
        Avx.Store(dst + 3 * dstStride, o3);
        Avx.Store(dst + 4 * dstStride, o4);
        Avx.Store(dst + 5 * dstStride, o5);
        Avx.Store(dst + 6 * dstStride, o6);
        Avx.Store(dst + 7 * dstStride, o7);
    }

    /// <summary>Transposes the 6×8 block at <paramref name="src"/> (six rows of eight) into eight rows of six at
    /// <paramref name="dst"/>: <see cref="Transpose8x8"/> with two zero rows, each result stored as four floats and two.</summary>
    private static void Transpose6x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var (o0, o1, o2, o3, o4, o5, o6, o7) = Transpose(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride),
            Avx.LoadVector256(src + 2 * srcStride), Avx.LoadVector256(src + 3 * srcStride), Avx.LoadVector256(src + 4 * srcStride),
            Avx.LoadVector256(src + 5 * srcStride), Vector256<float>.Zero, Vector256<float>.Zero);
        StoreSix(dst, o0);
        StoreSix(dst + dstStride, o1);
        StoreSix(dst + 2 * dstStride, o2);
        StoreSix(dst + 3 * dstStride, o3);
        StoreSix(dst + 4 * dstStride, o4);
        StoreSix(dst + 5 * dstStride, o5);
        StoreSix(dst + 6 * dstStride, o6);
        StoreSix(dst + 7 * dstStride, o7);
    }

    /// <summary>dst[0 : 6] = the first six lanes of <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSix(float* dst, Vector256<float> v)
    {
        Sse.Store(dst, v.GetLower());
        Sse2.StoreScalar((double*)(dst + 4), v.GetUpper().AsDouble());
    }

    /// <summary>The 8×8 transpose of the rows r0 … r7 in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>,
        Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Transpose(
        Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7)
    {
        // Per 128-bit lane: t0 = r0[0] r1[0] r0[1] r1[1], t1 = r0[2] r1[2] r0[3] r1[3], …
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        // Per lane: s0 = column 0 (lane 0) / 4 (lane 1) of rows 0–3, s1 = column 1 / 5, …
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);

        // Join rows 0–3 and 4–7: low lanes give columns 0–3, high lanes columns 4–7.
        return (Avx.Permute2x128(s0, s4, 0x20), Avx.Permute2x128(s1, s5, 0x20), Avx.Permute2x128(s2, s6, 0x20), Avx.Permute2x128(s3, s7, 0x20),
            Avx.Permute2x128(s0, s4, 0x31), Avx.Permute2x128(s1, s5, 0x31), Avx.Permute2x128(s2, s6, 0x31), Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>Transposes the 4×4 block at <paramref name="src"/> into <paramref name="dst"/> (SSE's _MM_TRANSPOSE4_PS).</summary>
    private static void Transpose4x4(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + srcStride);
        var r2 = Sse.LoadVector128(src + 2 * srcStride);
        var r3 = Sse.LoadVector128(src + 3 * srcStride);
        var t0 = Sse.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1]
        var t1 = Sse.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3]
        var t2 = Sse.UnpackLow(r2, r3);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(dst + dstStride, Sse.MoveHighToLow(t2, t0));
        Sse.Store(dst + 2 * dstStride, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(dst + 3 * dstStride, Sse.MoveHighToLow(t3, t1));
    }
}

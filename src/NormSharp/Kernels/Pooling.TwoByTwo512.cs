using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

/// <summary>The AVX-512 form of the 2×2, stride-2 average pooling (LeNet's) over a run of output rows (one plane, or a
/// chunk's planes at once when their height is even): 32 input columns (16 outputs) per step. The 8-wide rows of
/// Pooling.Average.cs left 6 and 5 outputs of every row of LeNet's poolings (rows of 28 and 10 columns) to a scalar
/// tail and ran at about half the speed of this form (bench/RESULTS.md). A row's last, partial step runs on whole vectors
/// whose extra lanes a later row overwrites, and masked only on the last rows of a run, where nothing later would.
/// Same additions in the same order as the 8-wide rows (column sums of the two rows, then adjacent columns), so the
/// results are the same bits.</summary>
public static unsafe partial class Pooling
{
    /// <summary>Input columns per step: two vectors of each row, sixteen outputs.</summary>
    private const int PairColumns = 32;

    /// <summary>dst[i, j] = (r0[2j] + r1[2j] + (r0[2j+1] + r1[2j+1]))·scale with r0, r1 rows 2i and 2i + 1 of
    /// <paramref name="src"/>, for i &lt; <paramref name="outHeight"/>, j &lt; <paramref name="outWidth"/>.</summary>
    private static void AverageTwoByTwoPlane512(float* src, float* dst, int width, int outHeight, int outWidth, float scale)
    {
        // vpermt2ps over (s0, s1): lanes 0–15 of the index pick from s0, 16–31 from s1.
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        var sv = Vector512.Create(scale);
        var (full, m0, m1, mo) = PairSteps(outWidth);
        int unmasked = UnmaskedRows(outHeight, outWidth, 2 * width, full);
        for (int i = 0; i < outHeight; i++)
        {
            float* r0 = src + (long)2 * i * width, r1 = r0 + width, o = dst + (long)i * outWidth;
            // Whole vectors, the partial last step too where allowed: its lanes past the row read the next rows and
            // write outputs that later rows overwrite.
            int c = 0, whole = i < unmasked ? 2 * outWidth : full;
            for (; c < whole; c += PairColumns)
            {
                var s0 = Vector512.Load(r0 + c) + Vector512.Load(r1 + c);
                var s1 = Vector512.Load(r0 + c + 16) + Vector512.Load(r1 + c + 16);
                ((Avx512F.PermuteVar16x32x2(s0, even, s1) + Avx512F.PermuteVar16x32x2(s0, odd, s1)) * sv).Store(o + c / 2);
            }
            if (c >= 2 * outWidth) continue;
            var t0 = Avx512F.MaskLoad(r0 + c, m0, Vector512<float>.Zero) + Avx512F.MaskLoad(r1 + c, m0, Vector512<float>.Zero);
            var t1 = Avx512F.MaskLoad(r0 + c + 16, m1, Vector512<float>.Zero) + Avx512F.MaskLoad(r1 + c + 16, m1, Vector512<float>.Zero);
            Avx512F.MaskStore(o + c / 2, mo, (Avx512F.PermuteVar16x32x2(t0, even, t1) + Avx512F.PermuteVar16x32x2(t0, odd, t1)) * sv);
        }
    }

    /// <summary>Rows 2i and 2i + 1 of <paramref name="target"/>, columns 2j and 2j + 1, = grad[i, j]·scale for
    /// i &lt; <paramref name="outHeight"/>, j &lt; <paramref name="outWidth"/> (columns past 2·outWidth untouched).</summary>
    private static void SpreadTwoByTwoPlane512(float* grad, float* target, int width, int outHeight, int outWidth, float scale)
    {
        var low = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
        var high = low + Vector512.Create(8);
        var sv = Vector512.Create(scale);
        var (full, m0, m1, mo) = PairSteps(outWidth);
        // An odd last column lies in no window and must stay 0: there every row keeps its masked stores.
        int unmasked = width == 2 * outWidth ? UnmaskedRows(outHeight, outWidth, 2 * width, full) : 0;
        for (int i = 0; i < outHeight; i++)
        {
            float* d = grad + (long)i * outWidth, r0 = target + (long)2 * i * width, r1 = r0 + width;
            // The partial last step first: as whole vectors, row 2i's lanes past its end land in the first columns of
            // row 2i + 1, which its own stores (this step's, or the whole steps' after it) then overwrite, and row
            // 2i + 1's in rows that the next output rows overwrite.
            if (full < 2 * outWidth)
            {
                if (i < unmasked) SpreadStep(d, r0, r1, full, sv, low, high);
                else
                {
                    var last = Avx512F.MaskLoad(d + full / 2, mo, Vector512<float>.Zero) * sv;
                    Vector512<float> a = Avx512F.PermuteVar16x32(last, low), b = Avx512F.PermuteVar16x32(last, high);
                    Avx512F.MaskStore(r0 + full, m0, a); Avx512F.MaskStore(r0 + full + 16, m1, b);
                    Avx512F.MaskStore(r1 + full, m0, a); Avx512F.MaskStore(r1 + full + 16, m1, b);
                }
            }
            for (int c = 0; c < full; c += PairColumns) SpreadStep(d, r0, r1, c, sv, low, high);
        }
    }

    /// <summary>Input columns [c, c + 32) of rows r0 and r1 = the 16 shares from d[c/2]·scale, each twice (whole vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SpreadStep(float* d, float* r0, float* r1, int c, Vector512<float> scale, Vector512<int> low, Vector512<int> high)
    {
        var share = Vector512.Load(d + c / 2) * scale;
        Vector512<float> first = Avx512F.PermuteVar16x32(share, low), second = Avx512F.PermuteVar16x32(share, high);
        first.Store(r0 + c); second.Store(r0 + c + 16);
        first.Store(r1 + c); second.Store(r1 + c + 16);
    }

    /// <summary>Output rows whose last, partial step may run on whole vectors: those whose overhanging lanes stay
    /// inside the <paramref name="outHeight"/> rows of outputs and the 2·outHeight input rows of this call (stride
    /// <paramref name="pairStride"/> = 2·width per output row), so every overhanging write lands where a later row
    /// of the same call writes its own values, and no read leaves the call's rows. Masked loads and stores that
    /// miss the cache ran ~1.5× slower than the whole-vector form on LeNet's activations (bench/RESULTS.md).
    /// <paramref name="step"/>: input columns per step (32 here, 16 in the AVX2 form).</summary>
    private static int UnmaskedRows(int outHeight, int outWidth, int pairStride, int full, int step = PairColumns)
    {
        // Row i reads or writes outputs up to i·outWidth + full/2 + step/2 and inputs up to
        // i·pairStride + width + full + step ≤ (i + 1)·pairStride + full + step.
        long byOutputs = (long)outHeight * outWidth - full / 2 - step / 2, byInputs = (long)(outHeight - 1) * pairStride - full - step;
        if (byOutputs < 0 || byInputs < 0) return 0;
        return (int)Math.Min(outHeight, Math.Min(byOutputs / outWidth, byInputs / pairStride) + 1);
    }

    /// <summary>Columns of a row covered by whole steps, and the masks of the last, partial step: its first and
    /// second input vector and its outputs.</summary>
    private static (int Full, Vector512<float> First, Vector512<float> Second, Vector512<float> Outputs) PairSteps(int outWidth)
    {
        int columns = 2 * outWidth, full = columns / PairColumns * PairColumns, rest = columns - full;
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        return (full, Vector512.LessThan(lanes, Vector512.Create(rest)).AsSingle(),
            Vector512.LessThan(lanes, Vector512.Create(rest - 16)).AsSingle(),
            Vector512.LessThan(lanes, Vector512.Create(rest / 2)).AsSingle());
    }
}

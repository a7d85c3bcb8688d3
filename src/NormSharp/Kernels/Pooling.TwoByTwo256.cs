using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

/// <summary>The AVX2 form of the 2×2, stride-2 average pooling over a run of output rows, as Pooling.TwoByTwo512.cs does
/// with AVX-512: 16 input columns (8 outputs) per step, a row's last, partial step on whole vectors whose extra lanes a
/// later row overwrites (masked only on the last rows of a run, <see cref="UnmaskedRows"/>). The 8-wide rows it replaces
/// (<see cref="AverageTwoByTwoRow"/>, <see cref="SpreadTwoByTwoRow"/>) left 6 of the 14 outputs of LeNet's first pooling
/// rows and all 5 of its second's to a scalar tail, plane by plane. Same additions in the same order as those rows, so
/// the same bits.</summary>
public static unsafe partial class Pooling
{
    /// <summary>Input columns per AVX2 step: two vectors of each row, eight outputs.</summary>
    private const int PairColumns256 = 16;

    /// <summary>As <see cref="AverageTwoByTwoPlane512"/>, on Vector256.</summary>
    private static void AverageTwoByTwoPlane256(float* src, float* dst, int width, int outHeight, int outWidth, float scale)
    {
        var sv = Vector256.Create(scale);
        var (full, m0, m1, mo) = PairSteps256(outWidth);
        int unmasked = UnmaskedRows(outHeight, outWidth, 2 * width, full, PairColumns256);
        for (int i = 0; i < outHeight; i++)
        {
            float* r0 = src + (long)2 * i * width, r1 = r0 + width, o = dst + (long)i * outWidth;
            int c = 0, whole = i < unmasked ? 2 * outWidth : full;
            for (; c < whole; c += PairColumns256)
                AveragePairs(Vector256.Load(r0 + c) + Vector256.Load(r1 + c), Vector256.Load(r0 + c + 8) + Vector256.Load(r1 + c + 8), sv)
                    .Store(o + c / 2);
            if (c >= 2 * outWidth) continue;
            var t0 = Avx.MaskLoad(r0 + c, m0) + Avx.MaskLoad(r1 + c, m0);
            var t1 = Avx.MaskLoad(r0 + c + 8, m1) + Avx.MaskLoad(r1 + c + 8, m1);
            Avx.MaskStore(o + c / 2, mo, AveragePairs(t0, t1, sv));
        }
    }

    /// <summary>As <see cref="SpreadTwoByTwoPlane512"/>, on Vector256.</summary>
    private static void SpreadTwoByTwoPlane256(float* grad, float* target, int width, int outHeight, int outWidth, float scale)
    {
        var sv = Vector256.Create(scale);
        var (full, m0, m1, mo) = PairSteps256(outWidth);
        // An odd last column lies in no window and must stay 0: there every row keeps its masked stores.
        int unmasked = width == 2 * outWidth ? UnmaskedRows(outHeight, outWidth, 2 * width, full, PairColumns256) : 0;
        for (int i = 0; i < outHeight; i++)
        {
            float* d = grad + (long)i * outWidth, r0 = target + (long)2 * i * width, r1 = r0 + width;
            // The partial last step first, so that its overhanging lanes land where this row's whole steps and later
            // rows then write (see SpreadTwoByTwoPlane512).
            if (full < 2 * outWidth)
            {
                if (i < unmasked) SpreadStep256(d, r0, r1, full, sv);
                else
                {
                    var (a, b) = Shares(Avx.MaskLoad(d + full / 2, mo) * sv);
                    Avx.MaskStore(r0 + full, m0, a); Avx.MaskStore(r0 + full + 8, m1, b);
                    Avx.MaskStore(r1 + full, m0, a); Avx.MaskStore(r1 + full + 8, m1, b);
                }
            }
            for (int c = 0; c < full; c += PairColumns256) SpreadStep256(d, r0, r1, c, sv);
        }
    }

    /// <summary>Input columns [c, c + 16) of rows r0 and r1 = the 8 shares from d[c/2]·scale, each twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SpreadStep256(float* d, float* r0, float* r1, int c, Vector256<float> scale)
    {
        var (first, second) = Shares(Vector256.Load(d + c / 2) * scale);
        first.Store(r0 + c); second.Store(r0 + c + 8);
        first.Store(r1 + c); second.Store(r1 + c + 8);
    }

    /// <summary>Columns of a row covered by whole AVX2 steps, and the masks of the last, partial step: its first and second
    /// input vector and its outputs.</summary>
    private static (int Full, Vector256<float> First, Vector256<float> Second, Vector256<float> Outputs) PairSteps256(int outWidth)
    {
        int columns = 2 * outWidth, full = columns / PairColumns256 * PairColumns256, rest = columns - full;
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        return (full, Vector256.LessThan(lanes, Vector256.Create(rest)).AsSingle(),
            Vector256.LessThan(lanes, Vector256.Create(rest - 8)).AsSingle(),
            Vector256.LessThan(lanes, Vector256.Create(rest / 2)).AsSingle());
    }
}

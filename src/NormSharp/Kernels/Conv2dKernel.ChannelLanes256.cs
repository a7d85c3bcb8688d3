using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // The AVX2 forms of the channel-lanes blocks (Conv2dKernel.ChannelLanes.cs), on the same layouts: 16 output
    // channels are two Vector256 halves. Eight positions (or taps) × two halves would need 16 accumulators, all
    // of the 16 ymm registers, so each block of eight runs as two passes of four: eight accumulators, two
    // weight (or dy) vectors and one broadcast; six loads per eight FMAs, within Zen 3's three loads a cycle.

    /// <summary><see cref="ForwardBlock"/> on 8-lane vectors: block[j, l] = init[l] + Σ_c Σ_t xs[c·planeSize + taps[t] + offsets[j]] · wt[(c, t), l].</summary>
    private static void ForwardBlock256(float* xs, float* wt, int channels, int tapCount, int planeSize, nint* taps, nint* offsets,
        Vector256<float> initLow, Vector256<float> initHigh, float* block)
    {
        for (int half = 0; half < LaneBlock; half += 4)
        {
            nint o0 = offsets[half], o1 = offsets[half + 1], o2 = offsets[half + 2], o3 = offsets[half + 3];
            Vector256<float> a0 = initLow, a1 = initLow, a2 = initLow, a3 = initLow;
            Vector256<float> b0 = initHigh, b1 = initHigh, b2 = initHigh, b3 = initHigh;
            float* w = wt;
            for (int c = 0; c < channels; c++)
            {
                float* plane = xs + (long)c * planeSize;
                for (int t = 0; t < tapCount; t++, w += 16)
                {
                    // Scalar math: a_j[l] += x(j)·w[l] (channels 0–7), b_j[l] += x(j)·w[8 + l] (channels 8–15), j < 4.
                    var wLow = Vector256.Load(w);
                    var wHigh = Vector256.Load(w + 8);
                    float* p = plane + taps[t];
                    var x = Vector256.Create(p[o0]);
                    a0 = Vector256.FusedMultiplyAdd(x, wLow, a0); b0 = Vector256.FusedMultiplyAdd(x, wHigh, b0);
                    x = Vector256.Create(p[o1]);
                    a1 = Vector256.FusedMultiplyAdd(x, wLow, a1); b1 = Vector256.FusedMultiplyAdd(x, wHigh, b1);
                    x = Vector256.Create(p[o2]);
                    a2 = Vector256.FusedMultiplyAdd(x, wLow, a2); b2 = Vector256.FusedMultiplyAdd(x, wHigh, b2);
                    x = Vector256.Create(p[o3]);
                    a3 = Vector256.FusedMultiplyAdd(x, wLow, a3); b3 = Vector256.FusedMultiplyAdd(x, wHigh, b3);
                }
            }
            float* d = block + half * 16;
            a0.Store(d); b0.Store(d + 8); a1.Store(d + 16); b1.Store(d + 24);
            a2.Store(d + 32); b2.Store(d + 40); a3.Store(d + 48); b3.Store(d + 56);
        }
    }

    /// <summary><see cref="WeightGradientBlock"/> on 8-lane vectors: acc[j, l] += Σ_{i,j'} xs[i·wp + j' + deltas[j]] · dyT[(i·W' + j'), l]
    /// for the first <paramref name="count"/> of 8 taps, in two passes of four.</summary>
    private static void WeightGradientBlock256(float* xs, float* dyT, int outH, int outW, int wp, nint* deltas, float* acc, int count)
    {
        for (int half = 0; half < count; half += 4)
        {
            nint d0 = deltas[half], d1 = deltas[half + 1], d2 = deltas[half + 2], d3 = deltas[half + 3];
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            float* dq = dyT;
            for (int i = 0; i < outH; i++)
            {
                float* row = xs + (long)i * wp;
                for (int j = 0; j < outW; j++, dq += 16)
                {
                    // Scalar math: a_t[l] += x(t)·dy[l], b_t[l] += x(t)·dy[8 + l], t < 4.
                    var dLow = Vector256.Load(dq);
                    var dHigh = Vector256.Load(dq + 8);
                    float* p = row + j;
                    var x = Vector256.Create(p[d0]);
                    a0 = Vector256.FusedMultiplyAdd(x, dLow, a0); b0 = Vector256.FusedMultiplyAdd(x, dHigh, b0);
                    x = Vector256.Create(p[d1]);
                    a1 = Vector256.FusedMultiplyAdd(x, dLow, a1); b1 = Vector256.FusedMultiplyAdd(x, dHigh, b1);
                    x = Vector256.Create(p[d2]);
                    a2 = Vector256.FusedMultiplyAdd(x, dLow, a2); b2 = Vector256.FusedMultiplyAdd(x, dHigh, b2);
                    x = Vector256.Create(p[d3]);
                    a3 = Vector256.FusedMultiplyAdd(x, dLow, a3); b3 = Vector256.FusedMultiplyAdd(x, dHigh, b3);
                }
            }
            // The repeated taps of a short block are computed but not stored.
            float* t = acc + half * 16;
            int left = count - half;
            AddTo(t, a0); AddTo(t + 8, b0);
            if (left > 1) { AddTo(t + 16, a1); AddTo(t + 24, b1); }
            if (left > 2) { AddTo(t + 32, a2); AddTo(t + 40, b2); }
            if (left > 3) { AddTo(t + 48, a3); AddTo(t + 56, b3); }
        }
    }

    /// <summary>dst[q·16 + l] = src[l·positions + q] for l &lt; 16, q &lt; <paramref name="positions"/>: 16 planes of dy
    /// into position-major rows of 16 channels, 8×8 at a time in registers (one by one, the 16 strided stores
    /// per position cost half as much as the weight-gradient block itself).</summary>
    private static void TransposeGradientBlock(float* src, float* dst, int positions)
    {
        int q0 = 0;
        for (; q0 + 8 <= positions; q0 += 8)
            for (int l0 = 0; l0 < 16; l0 += 8)
            {
                float* s = src + (long)l0 * positions + q0;
                var (c0, c1, c2, c3, c4, c5, c6, c7) = Transpose8x8(
                    Vector256.Load(s), Vector256.Load(s + positions), Vector256.Load(s + 2 * positions), Vector256.Load(s + 3 * positions),
                    Vector256.Load(s + 4 * positions), Vector256.Load(s + 5 * positions), Vector256.Load(s + 6 * positions),
                    Vector256.Load(s + 7 * positions));
                float* d = dst + (long)q0 * 16 + l0;
                c0.Store(d); c1.Store(d + 16); c2.Store(d + 32); c3.Store(d + 48);
                c4.Store(d + 64); c5.Store(d + 80); c6.Store(d + 96); c7.Store(d + 112);
            }
        for (int l = 0; l < 16; l++)
            for (int q = q0; q < positions; q++) dst[q * 16 + l] = src[(long)l * positions + q];
    }
}

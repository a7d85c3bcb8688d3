using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Vectorised PReLU forward and backward (same contracts as <see cref="PReluReference"/>): the input is
/// [outer, channels, inner]. Two layouts, as ATen's BN kernels: channel planes (inner ≥ one vector) run
/// the LeakyReLU kernel with that plane's slope and a masked dot product for dα; [N, C] rows (inner = 1)
/// vectorise across the channels, loading the slopes as a vector. Other small planes use scalar code.
/// </summary>
/// <remarks>Single-threaded: PReLU is one pass over memory, cheaper than waking a worker at our sizes
/// (PERF.md: a wake-up costs tens of µs), and dα's sums then have one fixed order (bit-identical runs).</remarks>
public static class PReluKernel
{
    /// <inheritdoc cref="PReluReference.Forward"/>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, int outer, int inner, Span<float> y)
    {
        int channels = alpha.Length;
        CheckLengths(x.Length, y.Length, outer, channels, inner, "y");
        if (channels == 1) { Activations.LeakyRelu(x, alpha[0], y); return; }
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) RowForward(x.Slice(o * channels, channels), alpha, y.Slice(o * channels, channels));
            return;
        }
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
            {
                int start = (o * channels + c) * inner;
                Activations.LeakyRelu(x.Slice(start, inner), alpha[c], y.Slice(start, inner));
            }
    }

    /// <inheritdoc cref="PReluReference.Backward"/>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> alpha, int outer, int inner,
        Span<float> dx, Span<float> dAlpha)
    {
        int channels = alpha.Length;
        CheckLengths(x.Length, dy.Length, outer, channels, inner, "dy");
        if (!dx.IsEmpty && dx.Length != x.Length) throw new ArgumentException($"dx has {dx.Length} elements, expected {x.Length}", nameof(dx));
        if (!dAlpha.IsEmpty && dAlpha.Length != channels) throw new ArgumentException($"dAlpha has {dAlpha.Length} elements, expected {channels}", nameof(dAlpha));
        if (inner == 1 && channels > 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var xs = x.Slice(o * channels, channels);
                var dys = dy.Slice(o * channels, channels);
                if (!dx.IsEmpty) RowInputGradient(xs, dys, alpha, dx.Slice(o * channels, channels));
                if (!dAlpha.IsEmpty) RowSlopeGradient(xs, dys, dAlpha);
            }
            return;
        }
        int plane = channels == 1 ? outer * inner : inner; // a shared slope: the whole tensor is one plane
        int planes = channels == 1 ? 1 : outer;
        for (int o = 0; o < planes; o++)
            for (int c = 0; c < channels; c++)
            {
                int start = (o * channels + c) * plane;
                var xs = x.Slice(start, plane);
                var dys = dy.Slice(start, plane);
                if (!dx.IsEmpty) Activations.LeakyReluBackward(xs, dys, alpha[c], dx.Slice(start, plane));
                if (!dAlpha.IsEmpty) dAlpha[c] += NegativeDot(xs, dys);
            }
    }

    // Scalar math: y[c] = x[c] > 0 ? x[c] : α[c]·x[c]
    private static void RowForward(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, Span<float> y)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float ar = ref MemoryMarshal.GetReference(alpha);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * Vector256.LoadUnsafe(ref ar, (nuint)i))
                    .StoreUnsafe(ref yr, (nuint)i);
            }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            Unsafe.Add(ref yr, i) = v > 0 ? v : Unsafe.Add(ref ar, i) * v;
        }
    }

    // Scalar math: dx[c] = x[c] > 0 ? dy[c] : α[c]·dy[c]
    private static void RowInputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> alpha, Span<float> dx)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float ar = ref MemoryMarshal.GetReference(alpha);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.LoadUnsafe(ref gr, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256<float>.Zero),
                    g, g * Vector256.LoadUnsafe(ref ar, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = Unsafe.Add(ref xr, i) > 0 ? Unsafe.Add(ref gr, i) : Unsafe.Add(ref ar, i) * Unsafe.Add(ref gr, i);
    }

    // Scalar math: dα[c] += x[c] ≤ 0 ? x[c]·dy[c] : 0
    private static void RowSlopeGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dAlpha)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float ar = ref MemoryMarshal.GetReference(dAlpha);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var contribution = Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero),
                    Vector256<float>.Zero, v * Vector256.LoadUnsafe(ref gr, (nuint)i));
                (Vector256.LoadUnsafe(ref ar, (nuint)i) + contribution).StoreUnsafe(ref ar, (nuint)i);
            }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            if (v <= 0) Unsafe.Add(ref ar, i) += v * Unsafe.Add(ref gr, i);
        }
    }

    /// <summary>Σ_{x ≤ 0} x·dy over one plane: vector partial sums, then the lanes and the tail in double.</summary>
    private static float NegativeDot(ReadOnlySpan<float> x, ReadOnlySpan<float> dy)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                acc += Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero),
                    Vector256<float>.Zero, v * Vector256.LoadUnsafe(ref gr, (nuint)i));
            }
            for (int lane = 0; lane < Vector256<float>.Count; lane++) sum += acc.GetElement(lane);
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            if (v <= 0) sum += (double)v * Unsafe.Add(ref gr, i);
        }
        return (float)sum;
    }

    private static void CheckLengths(int x, int other, int outer, int channels, int inner, string otherName)
    {
        if (channels < 1) throw new ArgumentException("alpha must hold at least one slope", "alpha");
        if (outer < 0 || inner < 0 || (long)outer * channels * inner != x)
            throw new ArgumentException($"x has {x} elements, not outer {outer} × channels {channels} × inner {inner}", nameof(x));
        if (other != x) throw new ArgumentException($"{otherName} has {other} elements, x has {x}", otherName);
    }
}

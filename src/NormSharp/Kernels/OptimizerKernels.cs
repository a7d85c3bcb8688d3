using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Fused optimizer updates: one pass over a parameter, its gradient and its moment buffers (Apex
/// FusedAdam's idea, shared/PERF.md "Optimizer"), vectorised with <see cref="Vector512"/> or
/// <see cref="Vector256"/>. The arithmetic is the same sequence of IEEE operations as
/// <see cref="OptimizerKernelsReference"/> (no FMA contraction), so both give identical results.
/// </summary>
public static partial class OptimizerKernels
{
    /// <inheritdoc cref="OptimizerKernelsReference.Sgd"/>
    public static void Sgd(Span<float> param, ReadOnlySpan<float> grad, Span<float> momentumBuffer,
        float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep)
    {
        CheckLengths(param.Length, grad.Length, momentum != 0 ? momentumBuffer.Length : param.Length);
        int n = param.Length;
        ref float p = ref MemoryMarshal.GetReference(param);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float b = ref MemoryMarshal.GetReference(momentumBuffer);
        bool useMomentum = momentum != 0;
        float keep = 1 - dampening;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var pv = Vector512.LoadUnsafe(ref p, (nuint)i);
                var d = Vector512.LoadUnsafe(ref g, (nuint)i) + weightDecay * pv;
                if (useMomentum)
                {
                    var buf = firstStep ? d : momentum * Vector512.LoadUnsafe(ref b, (nuint)i) + keep * d;
                    buf.StoreUnsafe(ref b, (nuint)i);
                    d = nesterov ? d + momentum * buf : buf;
                }
                (pv - lr * d).StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pv = Vector256.LoadUnsafe(ref p, (nuint)i);
                var d = Vector256.LoadUnsafe(ref g, (nuint)i) + weightDecay * pv;
                if (useMomentum)
                {
                    var buf = firstStep ? d : momentum * Vector256.LoadUnsafe(ref b, (nuint)i) + keep * d;
                    buf.StoreUnsafe(ref b, (nuint)i);
                    d = nesterov ? d + momentum * buf : buf;
                }
                (pv - lr * d).StoreUnsafe(ref p, (nuint)i);
            }
        }
        OptimizerKernelsReference.Sgd(param[i..], grad[i..], useMomentum ? momentumBuffer[i..] : default,
            lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    /// <inheritdoc cref="OptimizerKernelsReference.Adam"/>
    public static void Adam(Span<float> param, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq,
        float beta1, float beta2, float eps, float l2WeightDecay, float decoupledDecay, float stepSize, float bias2Sqrt)
    {
        CheckLengths(param.Length, grad.Length, expAvg.Length);
        CheckLengths(param.Length, grad.Length, expAvgSq.Length);
        int n = param.Length;
        ref float p = ref MemoryMarshal.GetReference(param);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float m = ref MemoryMarshal.GetReference(expAvg);
        ref float v = ref MemoryMarshal.GetReference(expAvgSq);
        float c1 = 1 - beta1, c2 = 1 - beta2;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var pv = Vector512.LoadUnsafe(ref p, (nuint)i) * decoupledDecay;
                var gv = Vector512.LoadUnsafe(ref g, (nuint)i) + l2WeightDecay * pv;
                var mv = beta1 * Vector512.LoadUnsafe(ref m, (nuint)i) + c1 * gv;
                var vv = beta2 * Vector512.LoadUnsafe(ref v, (nuint)i) + c2 * gv * gv;
                mv.StoreUnsafe(ref m, (nuint)i);
                vv.StoreUnsafe(ref v, (nuint)i);
                (pv - stepSize * (mv / (Vector512.Sqrt(vv) / bias2Sqrt + Vector512.Create(eps)))).StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pv = Vector256.LoadUnsafe(ref p, (nuint)i) * decoupledDecay;
                var gv = Vector256.LoadUnsafe(ref g, (nuint)i) + l2WeightDecay * pv;
                var mv = beta1 * Vector256.LoadUnsafe(ref m, (nuint)i) + c1 * gv;
                var vv = beta2 * Vector256.LoadUnsafe(ref v, (nuint)i) + c2 * gv * gv;
                mv.StoreUnsafe(ref m, (nuint)i);
                vv.StoreUnsafe(ref v, (nuint)i);
                (pv - stepSize * (mv / (Vector256.Sqrt(vv) / bias2Sqrt + Vector256.Create(eps)))).StoreUnsafe(ref p, (nuint)i);
            }
        }
        OptimizerKernelsReference.Adam(param[i..], grad[i..], expAvg[i..], expAvgSq[i..],
            beta1, beta2, eps, l2WeightDecay, decoupledDecay, stepSize, bias2Sqrt);
    }

    /// <inheritdoc cref="OptimizerKernelsReference.RmsProp"/>
    public static void RmsProp(Span<float> param, ReadOnlySpan<float> grad, Span<float> squareAvg, Span<float> gradAvg,
        Span<float> momentumBuffer, float lr, float alpha, float eps, float weightDecay, float momentum, bool centered)
    {
        CheckLengths(param.Length, grad.Length, squareAvg.Length);
        if (centered) CheckLengths(param.Length, grad.Length, gradAvg.Length);
        if (momentum > 0) CheckLengths(param.Length, grad.Length, momentumBuffer.Length);
        int n = param.Length;
        ref float p = ref MemoryMarshal.GetReference(param);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float s = ref MemoryMarshal.GetReference(squareAvg);
        ref float a = ref MemoryMarshal.GetReference(gradAvg);
        ref float b = ref MemoryMarshal.GetReference(momentumBuffer);
        float c = 1 - alpha;
        bool useMomentum = momentum > 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var pv = Vector512.LoadUnsafe(ref p, (nuint)i);
                var gv = Vector512.LoadUnsafe(ref g, (nuint)i) + weightDecay * pv;
                var sv = alpha * Vector512.LoadUnsafe(ref s, (nuint)i) + c * gv * gv;
                sv.StoreUnsafe(ref s, (nuint)i);
                Vector512<float> avg;
                if (centered)
                {
                    var av = alpha * Vector512.LoadUnsafe(ref a, (nuint)i) + c * gv;
                    av.StoreUnsafe(ref a, (nuint)i);
                    avg = Vector512.Sqrt(sv - av * av) + Vector512.Create(eps);
                }
                else avg = Vector512.Sqrt(sv) + Vector512.Create(eps);
                if (useMomentum)
                {
                    var buf = momentum * Vector512.LoadUnsafe(ref b, (nuint)i) + gv / avg;
                    buf.StoreUnsafe(ref b, (nuint)i);
                    (pv - lr * buf).StoreUnsafe(ref p, (nuint)i);
                }
                else (pv - lr * (gv / avg)).StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pv = Vector256.LoadUnsafe(ref p, (nuint)i);
                var gv = Vector256.LoadUnsafe(ref g, (nuint)i) + weightDecay * pv;
                var sv = alpha * Vector256.LoadUnsafe(ref s, (nuint)i) + c * gv * gv;
                sv.StoreUnsafe(ref s, (nuint)i);
                Vector256<float> avg;
                if (centered)
                {
                    var av = alpha * Vector256.LoadUnsafe(ref a, (nuint)i) + c * gv;
                    av.StoreUnsafe(ref a, (nuint)i);
                    avg = Vector256.Sqrt(sv - av * av) + Vector256.Create(eps);
                }
                else avg = Vector256.Sqrt(sv) + Vector256.Create(eps);
                if (useMomentum)
                {
                    var buf = momentum * Vector256.LoadUnsafe(ref b, (nuint)i) + gv / avg;
                    buf.StoreUnsafe(ref b, (nuint)i);
                    (pv - lr * buf).StoreUnsafe(ref p, (nuint)i);
                }
                else (pv - lr * (gv / avg)).StoreUnsafe(ref p, (nuint)i);
            }
        }
        OptimizerKernelsReference.RmsProp(param[i..], grad[i..], squareAvg[i..], centered ? gradAvg[i..] : default,
            useMomentum ? momentumBuffer[i..] : default, lr, alpha, eps, weightDecay, momentum, centered);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckLengths(int param, int grad, int buffer)
    {
        if (grad != param || buffer != param)
            throw new ArgumentException($"optimizer kernel: parameter has {param} elements, gradient {grad}, state buffer {buffer}");
    }
}

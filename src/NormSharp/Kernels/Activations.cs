using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

/// <summary>
/// Vectorised element-wise activations and their backward passes (same contracts as
/// <see cref="ActivationReference"/>). Tanh uses <see cref="TensorPrimitives"/>, which already
/// vectorises it; the rest are written here in TensorPrimitives' pattern: an operator struct with a
/// scalar and a vector form, one driver that runs the widest accelerated width and finishes the tail
/// with the scalar form. Outputs may alias inputs. The vector exponential (<see cref="FastExp"/>, float Cephes expf)
/// differs from <see cref="MathF.Exp"/> by at most two ulp, so ELU/SELU near 0 differ from the reference by ~1e-7 absolute.
/// </summary>
public static partial class Activations
{
    /// <inheritdoc cref="ActivationReference.Relu"/>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => Unary(x, y, new ReluOp());

    /// <inheritdoc cref="ActivationReference.ReluBackward"/>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Binary(y, dy, dx, new ReluBackwardOp());

    /// <inheritdoc cref="ActivationReference.LeakyRelu"/>
    public static void LeakyRelu(ReadOnlySpan<float> x, float alpha, Span<float> y) =>
        Binary(x, x, y, new LeakyOp(alpha));

    /// <inheritdoc cref="ActivationReference.LeakyReluBackward"/>
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float alpha, Span<float> dx) =>
        Binary(x, dy, dx, new LeakyOp(alpha));

    /// <inheritdoc cref="ActivationReference.Elu"/>
    public static void Elu(ReadOnlySpan<float> x, float alpha, float scale, Span<float> y) =>
        Unary(x, y, new EluOp(alpha, scale));

    /// <inheritdoc cref="ActivationReference.EluBackward"/>
    public static void EluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float alpha, float scale, Span<float> dx) =>
        Binary(x, dy, dx, new EluBackwardOp(alpha, scale));

    /// <inheritdoc cref="ActivationReference.Sigmoid"/>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLengths(x.Length, x.Length, y.Length);
        Unary(x, y, new SigmoidOp());
    }

    /// <inheritdoc cref="ActivationReference.SigmoidBackward"/>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Binary(y, dy, dx, new SigmoidBackwardOp());

    /// <summary>y = f(x) for a <see cref="FusedActivation"/> (x itself for <see cref="FusedActivation.None"/>); the same
    /// values as <see cref="Relu"/> and <see cref="Sigmoid"/>.</summary>
    public static void Apply(FusedActivation activation, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (activation)
        {
            case FusedActivation.None:
                CheckLengths(x.Length, x.Length, y.Length);
                x.CopyTo(y);
                break;
            case FusedActivation.Relu: Relu(x, y); break;
            case FusedActivation.Sigmoid: Sigmoid(x, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "not a fused activation");
        }
    }

    /// <summary>values = f(values) on the calling thread, for a kernel's result still in cache: each value gets the
    /// same bits as from <see cref="Apply"/> over the whole tensor, wherever the run starts and ends (ReLU is exact, and
    /// the sigmoid's scalar form is its vector form on one lane).</summary>
    internal static unsafe void InPlace(FusedActivation activation, float* values, int length)
    {
        var span = new Span<float>(values, length);
        if (activation == FusedActivation.Relu) UnarySerial(span, span, new ReluOp());
        else if (activation == FusedActivation.Sigmoid) UnarySerial(span, span, new SigmoidOp());
    }

    /// <summary>grad = f′ · grad with f′ read from the output <paramref name="y"/>, on the calling thread, for a gradient
    /// still in cache (the average pooling's backward with the activation before it fused in): the bits of
    /// <see cref="ReluBackward"/> and <see cref="SigmoidBackward"/>, element by element.</summary>
    internal static unsafe void DerivativeInPlace(FusedActivation activation, float* y, float* grad, int length)
    {
        var ys = new ReadOnlySpan<float>(y, length);
        var gs = new Span<float>(grad, length);
        if (activation == FusedActivation.Relu) BinarySerial(ys, gs, gs, new ReluBackwardOp());
        else if (activation == FusedActivation.Sigmoid) BinarySerial(ys, gs, gs, new SigmoidBackwardOp());
        else if (activation != FusedActivation.None)
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "not a fused activation");
    }

    /// <inheritdoc cref="ActivationReference.Tanh"/>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLengths(x.Length, x.Length, y.Length);
        if (x.Length > 0) Split(x, x, y, new TanhRange());
    }

    /// <inheritdoc cref="ActivationReference.TanhBackward"/>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Binary(y, dy, dx, new TanhBackwardOp());

    private interface IUnaryOp : VectorBlock.IMap, VectorBlock.IMap256
    {
        float Invoke(float x);
    }

    /// <summary>An operation of two inputs a (x or y) and b (dy, or x again for forward passes).</summary>
    private interface IBinaryOp : VectorBlock.IZip
    {
        float Invoke(float a, float b);
        Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
    }

    private static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y, TOp op) where TOp : struct, IUnaryOp
    {
        CheckLengths(x.Length, x.Length, y.Length);
        Split(x, x, y, new UnaryRange<TOp>(op));
    }

    private static void Binary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result, TOp op)
        where TOp : struct, IBinaryOp
    {
        CheckLengths(a.Length, b.Length, result.Length);
        Split(a, b, result, new BinaryRange<TOp>(op));
    }

    /// <summary>The serial loop of one unary operation: the widest accelerated vectors, then scalars.</summary>
    private static void UnarySerial<TOp>(ReadOnlySpan<float> x, Span<float> y, TOp op) where TOp : struct, IUnaryOp
    {
        int n = x.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            i = VectorBlock.Stream(ref xs, ref ys, n, op); // a block of lookahead (VectorBlock)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref ys, i) = op.Invoke(Unsafe.Add(ref xs, i));
    }

    /// <summary>The serial loop of one binary operation.</summary>
    private static void BinarySerial<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result, TOp op)
        where TOp : struct, IBinaryOp
    {
        int n = a.Length, i = 0;
        ref float aa = ref MemoryMarshal.GetReference(a);
        ref float bb = ref MemoryMarshal.GetReference(b);
        ref float rr = ref MemoryMarshal.GetReference(result);
        if (Vector512.IsHardwareAccelerated)
        {
            i = VectorBlock.Stream(ref aa, ref bb, ref rr, n, op);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref aa, (nuint)i), Vector512.LoadUnsafe(ref bb, (nuint)i)).StoreUnsafe(ref rr, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref aa, (nuint)i), Vector256.LoadUnsafe(ref bb, (nuint)i)).StoreUnsafe(ref rr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref rr, i) = op.Invoke(Unsafe.Add(ref aa, i), Unsafe.Add(ref bb, i));
    }

    private static void CheckLengths(int a, int b, int result)
    {
        if (a != b || a != result)
            throw new ArgumentException($"activation spans differ in length: {a}, {b} and {result}");
    }

    /// <summary>ReLU on one value or one vector, NaN kept: the layer's kernel and the GEMM epilogue share it.</summary>
    internal readonly struct ReluOp : IUnaryOp
    {
        // x > 0 ? x : (x is NaN ? x : 0): ConditionalSelect on (x > 0) | (x != x) keeps NaN like torch.relu.
        public float Invoke(float x) => x > 0 || float.IsNaN(x) ? x : 0f;
        public Vector512<float> Invoke(Vector512<float> x) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero) | ~Vector512.Equals(x, x), x, Vector512<float>.Zero);
        public Vector256<float> Invoke(Vector256<float> x) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero) | ~Vector256.Equals(x, x), x, Vector256<float>.Zero);
    }

    private readonly struct ReluBackwardOp : IBinaryOp
    {
        public float Invoke(float y, float dy) => y > 0 ? dy : 0f;
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), dy, Vector512<float>.Zero);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), dy, Vector256<float>.Zero);
    }

    /// <summary>x &gt; 0 ? b : α·b — the forward pass with b = x, the backward pass with b = dy.</summary>
    private readonly struct LeakyOp(float alpha) : IBinaryOp
    {
        public float Invoke(float x, float b) => x > 0 ? b : alpha * b;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> b) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), b, b * alpha);
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> b) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), b, b * alpha);
    }

    private readonly struct EluOp(float alpha, float scale) : IUnaryOp
    {
        public float Invoke(float x) => x > 0 ? scale * x : scale * alpha * (MathF.Exp(x) - 1f);
        public Vector512<float> Invoke(Vector512<float> x) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x * scale,
                (FastExp.Exp(Vector512.Min(x, Vector512<float>.Zero)) - Vector512<float>.One) * (scale * alpha));
        public Vector256<float> Invoke(Vector256<float> x) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x * scale,
                (FastExp.Exp(Vector256.Min(x, Vector256<float>.Zero)) - Vector256<float>.One) * (scale * alpha));
    }

    private readonly struct EluBackwardOp(float alpha, float scale) : IBinaryOp
    {
        public float Invoke(float x, float dy) => x > 0 ? scale * dy : scale * alpha * MathF.Exp(x) * dy;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy * scale,
                FastExp.Exp(Vector512.Min(x, Vector512<float>.Zero)) * dy * (scale * alpha));
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy * scale,
                FastExp.Exp(Vector256.Min(x, Vector256<float>.Zero)) * dy * (scale * alpha));
    }

    /// <summary>σ(x) = 1/(1 + e⁻ˣ) with <see cref="FastExp"/>: TensorPrimitives.Sigmoid took 2 ms for LeNet's
    /// first activation (1.2 M values) on one core, this 0.55 ms. For x &lt; −88 the result is ~6·10⁻³⁹ instead
    /// of 0 (FastExp clamps), for large x exactly 1; NaN stays NaN. The scalar form (a span's tail) is the vector
    /// form on one lane, so a value's result does not depend on where it falls in the span (a fused run over one
    /// plane gives the bits of the pass over the whole tensor).</summary>
    internal readonly struct SigmoidOp : IUnaryOp
    {
        public float Invoke(float x) => Invoke(Vector256.Create(x)).ToScalar();
        public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + FastExp.Exp(-x));
        public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(-x));
    }

    private readonly struct SigmoidBackwardOp : IBinaryOp
    {
        public float Invoke(float y, float dy) => dy * y * (1f - y);
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * y * (Vector512<float>.One - y);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
    }

    private readonly struct TanhBackwardOp : IBinaryOp
    {
        public float Invoke(float y, float dy) => dy * (1f - y * y);
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (Vector512<float>.One - y * y);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
    }
}

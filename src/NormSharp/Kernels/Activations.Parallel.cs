using System.Numerics.Tensors;

namespace NormSharp.Kernels;

public static unsafe partial class Activations
{
    // Element-wise passes over a whole layer's activations (LeNet's first sigmoid sees 256·6·28·28 = 1.2 M
    // values) ran on one core while the convolutions around them used two: at 2 threads the sigmoid was 15%
    // of a LeNet step. Large spans are cut into contiguous ranges over ParallelRunner. The cuts fall on
    // multiples of 64 values, so every value takes the same path as in one pass over the whole span (vector
    // bodies, then one scalar tail at the end; the vector exponential differs from MathF.Exp by an ulp): the
    // result is bit-identical at any thread count.

    /// <summary>Below this many elements a pass runs on the calling thread (PyTorch's grain size).</summary>
    private const int Grain = 32768;

    /// <summary>An element-wise operation over <c>length</c> values from a (x or y), b (dy, or a
    /// again for forward passes) into result, the pointers already offset to the range.</summary>
    private interface IRangeOp
    {
        void Run(float* a, float* b, float* result, int length);
    }

    /// <summary>Runs <paramref name="op"/> over the whole spans, in contiguous ranges of at least <see cref="Grain"/> values.</summary>
    private static void Split<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result, TOp op) where TOp : struct, IRangeOp
    {
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pr = result)
        {
            int length = a.Length, chunks = ParallelRunner.ChunksFor(length, Grain);
            if (chunks <= 1) op.Run(pa, pb, pr, length);
            else ParallelRunner.For(chunks, new RangeBody<TOp>(op, pa, pb, pr, length, chunks));
        }
    }

    private readonly struct RangeBody<TOp>(TOp op, float* a, float* b, float* result, int length, int chunks) : IChunkBody
        where TOp : struct, IRangeOp
    {
        public void Execute(int chunk)
        {
            int start = Cut(chunk), end = chunk + 1 == chunks ? length : Cut(chunk + 1);
            if (end > start) op.Run(a + start, b + start, result + start, end - start);
        }

        private int Cut(int chunk) => (int)((long)length * chunk / chunks) & ~63;
    }

    private readonly struct UnaryRange<TOp>(TOp op) : IRangeOp where TOp : struct, IUnaryOp
    {
        public void Run(float* a, float* b, float* result, int length) =>
            UnarySerial(new ReadOnlySpan<float>(a, length), new Span<float>(result, length), op);
    }

    private readonly struct BinaryRange<TOp>(TOp op) : IRangeOp where TOp : struct, IBinaryOp
    {
        public void Run(float* a, float* b, float* result, int length) =>
            BinarySerial(new ReadOnlySpan<float>(a, length), new ReadOnlySpan<float>(b, length), new Span<float>(result, length), op);
    }

    /// <summary>TensorPrimitives.Tanh.</summary>
    private readonly struct TanhRange : IRangeOp
    {
        public void Run(float* a, float* b, float* result, int length) =>
            TensorPrimitives.Tanh(new ReadOnlySpan<float>(a, length), new Span<float>(result, length));
    }
}

using System.Numerics.Tensors;

namespace NormSharp.Kernels;

public static unsafe partial class Activations
{
    /// <summary>Elements per chunk below which one thread does the whole span (PyTorch's grain size, 32,768;
    /// shared/PERF.md, "Threading"). Chunk borders fall on multiples of <see cref="ChunkAlignment"/>.</summary>
    internal const int ParallelGrain = 32_768;

    private const int ChunkAlignment = 64;

    /// <summary>A whole-span element-wise function (TensorPrimitives' transcendental ones).</summary>
    private interface ISpanFunction
    {
        static abstract void Apply(ReadOnlySpan<float> x, Span<float> y);
    }

    private readonly struct SigmoidSpan : ISpanFunction
    {
        public static void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);
    }

    private readonly struct TanhSpan : ISpanFunction
    {
        public static void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);
    }

    /// <summary>
    /// y = f(x) over <see cref="ParallelRunner"/>: sigmoid and tanh cost ~0.5 ns per element (an exponential),
    /// so LeNet's first sigmoid ([256, 6, 28, 28], 1.2 M elements) took ~0.65 ms on one core and both conv-sized
    /// sigmoids ~0.9 ms — a quarter of the folded LeNet's inference at 2 threads, while the convolutions around
    /// them used both cores (bench/RESULTS.md, "Inference … against ONNX Runtime"). Every chunk is at
    /// least <see cref="ParallelGrain"/> elements, so TensorPrimitives runs the same vector code for every element
    /// whatever the chunking (its scalar path is only for spans shorter than a vector): results do not depend on
    /// the thread count. x and y may be the same span.
    /// </summary>
    private static void Split<TFunction>(ReadOnlySpan<float> x, Span<float> y) where TFunction : ISpanFunction
    {
        int chunks = ParallelRunner.ChunksFor(x.Length, ParallelGrain);
        if (chunks == 1)
        {
            TFunction.Apply(x, y);
            return;
        }
        fixed (float* px = x)
        fixed (float* py = y)
            ParallelRunner.For(chunks, new Chunks<TFunction>(px, py, x.Length, chunks));
    }

    private readonly struct Chunks<TFunction>(float* x, float* y, int length, int chunks) : IChunkBody
        where TFunction : ISpanFunction
    {
        public void Execute(int chunk)
        {
            int start = Border(chunk), end = chunk == chunks - 1 ? length : Border(chunk + 1);
            TFunction.Apply(new ReadOnlySpan<float>(x + start, end - start), new Span<float>(y + start, end - start));
        }

        private int Border(int chunk) => (int)((long)length * chunk / chunks) / ChunkAlignment * ChunkAlignment;
    }
}

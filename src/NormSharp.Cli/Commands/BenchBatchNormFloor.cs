using System.Runtime.InteropServices;
using NormSharp.Kernels;

namespace NormSharp.Cli.Commands;

/// <summary>
/// The memory floor of BN's training forward + backward at one shape: the eight passes over the tensor that the
/// kernels make (forward: read x, then read x and write y; backward: read x and dy, then read x and dy and write dx),
/// with nothing but a multiply-add per element, each thread on its own contiguous share, the second read of each pass
/// run over the same 16 KB block while it is in L1. No BatchNorm can move those bytes faster on this machine: a real
/// kernel must finish a reduction over the whole batch before it applies, so its second reads come from L2 or further.
/// <c>bench/compare.sh</c> prints the PyTorch time over this one as the ratio's ceiling (<c>floor-</c> lines).
/// </summary>
internal static unsafe class BenchBatchNormFloor
{
    /// <summary>Floats per block: the second read of a pass finds the block in L1.</summary>
    private const int BlockFloats = 4096;

    public static void Time(Action<string, Action, double, double> time, string name, int elements)
    {
        var buffers = new float*[4];
        for (int i = 0; i < 4; i++)
        {
            buffers[i] = (float*)NativeMemory.AlignedAlloc((nuint)elements * sizeof(float), 64);
            new Span<float>(buffers[i], elements).Fill(i % 2 == 0 ? 1f : 0f);
        }
        try
        {
            var body = new PassesBody(buffers[0], buffers[1], buffers[2], buffers[3], elements);
            time(name, () => ParallelRunner.Together(ParallelRunner.Threads, body), 0, 8.0 * elements * sizeof(float));
        }
        finally
        {
            foreach (var b in buffers) NativeMemory.AlignedFree(b);
        }
    }

    private readonly struct PassesBody(float* x, float* y, float* dy, float* dx, int elements) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            int start = (int)((long)elements * party / parties), end = (int)((long)elements * (party + 1) / parties);
            float sum = 0;
            for (int b = start; b < end; b += BlockFloats)
            {
                int n = Math.Min(BlockFloats, end - b);
                sum += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(x + b, n));
                System.Numerics.Tensors.TensorPrimitives.Multiply(new ReadOnlySpan<float>(x + b, n), 0.5f, new Span<float>(y + b, n));
            }
            barrier.Wait(); // the forward's result before the backward, as in a training step
            for (int b = start; b < end; b += BlockFloats)
            {
                int n = Math.Min(BlockFloats, end - b);
                sum += System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(x + b, n), new ReadOnlySpan<float>(dy + b, n));
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(x + b, n), 0.5f,
                    new ReadOnlySpan<float>(dy + b, n), new Span<float>(dx + b, n));
            }
            if (sum == 12345f) dx[start] = sum; // keeps the reductions
        }
    }
}

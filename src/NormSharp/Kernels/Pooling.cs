namespace NormSharp.Kernels;

/// <summary>
/// Fast 2-d max and average pooling over NCHW input (PyTorch semantics, <c>ceil_mode=False</c>), forward
/// and backward, parallel over (image, channel) planes. Checked against <see cref="PoolingReference"/>,
/// whose remarks give the definitions.
/// </summary>
/// <remarks>Each plane is written by exactly one chunk and the arithmetic per element does not depend on
/// the chunking, so results are identical at every thread count.</remarks>
public static unsafe partial class Pooling
{
    /// <summary>Elements per chunk below which splitting does not pay (PyTorch's grain size).</summary>
    private const int GrainElements = 32_768;

    /// <summary>Max pooling. <paramref name="argmax"/> receives, per output, the index h·W + w of the chosen
    /// element within its input plane (the first maximum in window order; NaN propagates).</summary>
    public static void MaxForward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax)
    {
        CheckSizes(g, input.Length, output.Length, argmax.Length);
        fixed (float* x = input, y = output)
        fixed (int* index = argmax)
        {
            int chunks = ChunkCount(g);
            ParallelRunner.For(chunks, new MaxForwardBody(g, chunks, x, y, index));
        }
    }

    /// <summary>dx[argmax] += dy for every output; <paramref name="gradInput"/> is overwritten.</summary>
    public static void MaxBackward(in Pool2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax,
        Span<float> gradInput)
    {
        CheckSizes(g, gradInput.Length, gradOutput.Length, argmax.Length);
        fixed (float* dy = gradOutput, dx = gradInput)
        fixed (int* index = argmax)
        {
            int chunks = ChunkCount(g);
            ParallelRunner.For(chunks, new MaxBackwardBody(g, chunks, dy, index, dx));
        }
    }

    /// <summary>Average pooling with <c>count_include_pad=True</c> (divisor k·k).</summary>
    public static void AvgForward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckSizes(g, input.Length, output.Length, g.OutputSize);
        fixed (float* x = input, y = output)
        {
            int chunks = ChunkCount(g);
            ParallelRunner.For(chunks, new AvgForwardBody(g, chunks, x, y));
        }
    }

    /// <summary>dx[h,w] = Σ over the windows covering (h, w) of dy/(k·k); <paramref name="gradInput"/> is overwritten.</summary>
    public static void AvgBackward(in Pool2dGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        AvgBackward(g, gradOutput, gradInput, FusedActivation.None, default);

    /// <summary>
    /// <see cref="AvgBackward(in Pool2dGeometry, ReadOnlySpan{float}, Span{float})"/> followed by the backward of the
    /// activation before the pooling: gradInput = f′(y) ⊙ dx, f′ read from the activation's output
    /// <paramref name="activationOutput"/> (the pooling's input), a block of planes at a time while the block is in L1.
    /// The same bits as the two backward passes one after the other (<see cref="Activations.SigmoidBackward"/>,
    /// <see cref="Activations.ReluBackward"/>), without writing dx to memory and reading it back.
    /// </summary>
    public static void AvgBackward(in Pool2dGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradInput,
        FusedActivation activation, ReadOnlySpan<float> activationOutput)
    {
        CheckSizes(g, gradInput.Length, gradOutput.Length, g.OutputSize);
        if (activation != FusedActivation.None && activationOutput.Length != g.InputSize)
            throw new ArgumentException($"activation output has {activationOutput.Length} elements, {g} needs {g.InputSize}", nameof(activationOutput));
        fixed (float* dy = gradOutput, dx = gradInput, y = activationOutput)
        {
            int chunks = ChunkCount(g);
            ParallelRunner.For(chunks, new AvgBackwardBody(g, chunks, dy, dx, activation, y));
        }
    }

    /// <summary>Throws when a buffer length does not match <paramref name="g"/>.</summary>
    internal static void CheckSizes(in Pool2dGeometry g, int inputLength, int outputLength, int indexLength)
    {
        if (inputLength != g.InputSize)
            throw new ArgumentException($"input has {inputLength} elements, {g} needs {g.InputSize}", "input");
        if (outputLength != g.OutputSize)
            throw new ArgumentException($"output has {outputLength} elements, {g} needs {g.OutputSize}", "output");
        if (indexLength != g.OutputSize)
            throw new ArgumentException($"argmax has {indexLength} elements, {g} needs {g.OutputSize}", "argmax");
    }

    private static int ChunkCount(in Pool2dGeometry g) =>
        ParallelRunner.ChunksFor(g.Planes, Math.Max(1, GrainElements / (g.InputPlaneSize + g.OutputPlaneSize)));

    private static int ChunkStart(int chunk, int chunks, int planes) => (int)((long)planes * chunk / chunks);

    /// <summary>A 2×2 window with stride 2 and no padding (LeNet's pooling), which has unrolled loops.</summary>
    private static bool IsTwoByTwo(in Pool2dGeometry g) => g.KernelSize == 2 && g.Stride == 2 && g.Padding == 0;

    /// <summary>The in-image part [start, end) of the window starting at <paramref name="origin"/> (= i·s − p).</summary>
    private static void Clip(int origin, int k, int size, out int start, out int end)
    {
        start = Math.Max(origin, 0);
        end = Math.Min(origin + k, size);
    }
}

using Microsoft.ML.OnnxRuntime;

namespace NormSharp.Bench;

/// <summary>
/// One ONNX Runtime CPU session on a fixed input, set up so that a call costs ORT only its own work: input and
/// output are <see cref="OrtValue"/>s over pre-allocated managed arrays, bound once through an
/// <see cref="OrtIoBinding"/>, so <see cref="Run"/> marshals no names or tensors and allocates no output.
/// </summary>
/// <remarks>
/// Session options as the issue asks: <c>IntraOpNumThreads</c> = threads (the calling thread included, like
/// NormSharp's <c>ParallelRunner.Threads</c>), <c>InterOpNumThreads</c> = 1, sequential execution, every graph
/// optimization (ORT_ENABLE_ALL: constant folding, Conv/Gemm + BN/activation fusions, MLAS-specific layouts).
/// ORT's intra-op workers keep their default spin-then-wait policy.
/// </remarks>
internal sealed class OrtRunner : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly OrtValue _input, _output;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();

    /// <param name="model">The ONNX model's bytes.</param>
    /// <param name="input">The input batch; its array is bound as it is (not copied).</param>
    /// <param name="outputShape">Shape of the graph output (batch included).</param>
    /// <param name="threads">Intra-op threads.</param>
    /// <param name="profilePrefix">When set, ORT writes a per-node profile (JSON) named after this prefix.</param>
    /// <param name="spin">Whether idle intra-op workers spin before they wait (ORT's default: yes).</param>
    public OrtRunner(byte[] model, Tensor input, int[] outputShape, int threads, string? profilePrefix = null, bool spin = true)
    {
        _options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (!spin) _options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (profilePrefix is not null)
        {
            // The prefix first: the EnableProfiling setter hands ORT the prefix it holds at that moment.
            _options.ProfileOutputPathPrefix = profilePrefix;
            _options.EnableProfiling = true;
        }
        _session = new InferenceSession(model, _options);
        Output = new float[outputShape.Aggregate(1, (a, b) => a * b)];
        // The tensor's storage may be longer than its size (Tensor.Ensure keeps larger arrays): bind exactly Size floats.
        _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            input.Data.AsMemory(0, input.Size), input.Shape.Select(d => (long)d).ToArray());
        _output = OrtValue.CreateTensorValueFromMemory(Output, outputShape.Select(d => (long)d).ToArray());
        _binding = _session.CreateIoBinding();
        _binding.BindInput(_session.InputNames.Single(), _input);
        _binding.BindOutput(_session.OutputNames.Single(), _output);
    }

    /// <summary>The output of the last <see cref="Run"/>.</summary>
    public float[] Output { get; }

    /// <summary>One inference on the bound input into <see cref="Output"/>.</summary>
    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    /// <summary>Ends profiling (when enabled) and returns the path of the profile ORT wrote.</summary>
    public string EndProfiling() => _session.EndProfiling();

    public void Dispose()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
    }
}

using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Inference;

/// <summary>
/// A frozen, inference-only snapshot of a model, prepared once for many forward passes, as ONNX Runtime prepares a
/// model when it creates a session: the model is copied (<see cref="ModelCopy.Clone"/>) and put in eval mode, and every
/// <see cref="Dense"/> in it gets its weight packed into GEMM panels and copied 64-byte aligned
/// (<see cref="DenseInferenceWeights"/>), so a pass reads the weights in the form the kernels want instead of packing
/// them again on every call. <see cref="Run"/> gives the bits of the model's eval-mode <see cref="Module.Forward"/>.
/// </summary>
/// <remarks>
/// <para>A snapshot: changes to the original model after <see cref="Create"/> are not seen (create a new one), and the
/// copy is never exposed, so its weights cannot change under the packed ones. Fold BN first
/// (<see cref="BatchNormFolding.Fold(Module)"/>) for the fastest form; a Dense followed by ReLU (directly or across a
/// folded BN's <see cref="Identity"/>) runs as one product with the bias and ReLU in its stores.</para>
/// <para>Not thread-safe (as modules are): one call at a time. The output tensor is reused by the next call; a steady
/// state allocates nothing. <see cref="Dispose"/> frees the packed weights (the finalizer does too).</para>
/// </remarks>
public sealed class InferenceModel : IDisposable
{
    private readonly Module _model;
    private readonly List<DenseInferenceWeights> _prepared = [];
    private bool _disposed;

    private InferenceModel(Module model)
    {
        _model = model;
        foreach (var (_, module) in model.NamedModules())
            if (module is Dense dense)
            {
                var weights = new DenseInferenceWeights(dense);
                dense.InferenceWeights = weights;
                _prepared.Add(weights);
            }
    }

    /// <summary>A prepared snapshot of <paramref name="model"/> (not changed itself).</summary>
    /// <exception cref="NotSupportedException">The model cannot be copied (a layer without an architecture description).</exception>
    public static InferenceModel Create(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copy = ModelCopy.Clone(model);
        copy.Eval();
        return new InferenceModel(copy);
    }

    /// <summary>The eval-mode forward pass of the snapshot; the returned tensor is overwritten by the next call.</summary>
    public Tensor Run(Tensor input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        return _model.Forward(input);
    }

    /// <summary>The output shape for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(int[] inputShape) => _model.OutputShape(inputShape);

    /// <summary>What the snapshot is, e.g. "Sequential(17 layers)".</summary>
    public string Describe() => _model.Describe();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var weights in _prepared) weights.Dispose();
        foreach (var (_, module) in _model.NamedModules())
            if (module is Dense dense) dense.InferenceWeights = null;
    }
}

using System.Numerics.Tensors;
using NormSharp.Layers;
using NormSharp.Training;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// Records the L2 norm of every Dense layer's weight gradient ‖∂L/∂W‖ after every
/// <paramref name="every"/>-th step (the gradients are still in place at
/// <see cref="ITrainingCallback.OnStepEnd"/>: the optimizer reads them, and only the next step clears them).
/// </summary>
internal sealed class GradientNormRecorder(Module model, int every = 1) : ITrainingCallback
{
    private readonly Dense[] _layers = model.NamedModules().Select(m => m.Module).OfType<Dense>().ToArray();

    /// <summary>Number of Dense layers (hidden layers, then the output layer).</summary>
    public int Layers => _layers.Length;

    /// <summary>(step, norm per layer) in step order.</summary>
    public List<(long Step, double[] Norms)> Records { get; } = [];

    void ITrainingCallback.OnStepEnd(TrainingProgress progress)
    {
        if (progress.Step != 1 && progress.Step % every != 0) return;
        var norms = new double[_layers.Length];
        for (int l = 0; l < _layers.Length; l++) norms[l] = TensorPrimitives.Norm(_layers[l].WeightParameter.Grad.Span);
        Records.Add((progress.Step, norms));
    }
}

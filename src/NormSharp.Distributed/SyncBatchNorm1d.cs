using NormSharp.Layers;

namespace NormSharp.Distributed;

/// <summary>
/// <see cref="BatchNorm1d"/> whose training-mode statistics are those of the global batch across the ranks of
/// <see cref="Communicator"/> (PyTorch's <c>nn.SyncBatchNorm</c> on [N, C] / [N, C, L] input; Keras's
/// <c>BatchNormalization(synchronized=True)</c>). Same state-dict keys as BatchNorm1d, so checkpoints move
/// between the two.
/// </summary>
/// <remarks>Without a communicator (or with one rank) it is exactly BatchNorm1d. Eval mode uses the running
/// statistics and communicates nothing. See <see cref="CommunicatorBatchNormSynchronizer"/>.</remarks>
public sealed class SyncBatchNorm1d : BatchNormBase
{
    private ICommunicator? _communicator;

    /// <inheritdoc cref="BatchNorm1d(int, float, float?, bool, bool)"/>
    public SyncBatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    /// <summary>The group whose batches are normalised together; null: this process alone.</summary>
    public ICommunicator? Communicator
    {
        get => _communicator;
        set
        {
            _communicator = value;
            Synchronizer = value is null ? null : new CommunicatorBatchNormSynchronizer(value, NumFeatures);
        }
    }

    protected override (int N, int Spatial) Layout(int[] shape) => Layout1d(shape);
}

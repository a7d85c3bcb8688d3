namespace NormSharp.Layers;

public abstract partial class BatchNormBase
{
    private bool _frozen;
    private bool _requestedTraining = true;

    /// <summary>
    /// A frozen BN layer always runs in inference mode — running statistics, never updated — even while
    /// its model trains: Keras's <c>trainable = False</c> semantics for BatchNormalization (Keras ≥ 2.1.3).
    /// Set by <see cref="Serialization.Freezing"/>; <see cref="Module.Train"/> on the model no longer
    /// switches this layer to batch statistics until it is unfrozen.
    /// </summary>
    /// <remarks>Why: fine-tuning a pre-trained network on small batches of a new dataset would otherwise
    /// normalise with the new batches' statistics and overwrite the running ones, so the frozen features the
    /// upper layers were trained on shift under them (the pitfall documented in docs/PERSISTENCE.md).</remarks>
    public bool Frozen
    {
        get => _frozen;
        set
        {
            _frozen = value;
            base.Train(_requestedTraining && !value);
        }
    }

    /// <summary>Records the requested mode; the layer trains only when it is also not <see cref="Frozen"/>.</summary>
    public override void Train(bool mode = true)
    {
        _requestedTraining = mode;
        base.Train(mode && !_frozen);
    }
}

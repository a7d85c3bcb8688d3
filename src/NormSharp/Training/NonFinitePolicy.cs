namespace NormSharp.Training;

/// <summary>What <see cref="Trainer.Fit"/> does when a loss, gradient or weight is NaN or ±∞
/// (<see cref="FitOptions.OnNonFinite"/>).</summary>
public enum NonFinitePolicy
{
    /// <summary>No check (PyTorch's and Keras' default without <c>TerminateOnNaN</c>): a NaN spreads into the weights.</summary>
    Ignore,

    /// <summary>Throw a <see cref="NonFiniteTrainingException"/> before the faulty update is applied, naming
    /// the step and the first layer where the value appeared (Keras' <c>TerminateOnNaN</c>, with a diagnosis).</summary>
    Stop,

    /// <summary>Drop the batch: no optimizer update, BN running statistics restored to their values before
    /// the batch, the step not counted (<see cref="FitResult.SkippedBatches"/> counts them) — as mixed-precision
    /// loss scalers skip an overflowing step. An update that itself makes a weight non-finite cannot be
    /// undone and still stops training.</summary>
    SkipBatch,
}

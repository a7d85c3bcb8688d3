using NormSharp.Data;

namespace NormSharp.Diagnostics;

/// <summary>What <see cref="BatchNormDoctor.Examine"/> knows beyond the model itself.</summary>
public sealed record DoctorOptions
{
    /// <summary>The training batch size (from a checkpoint or the user); null skips the batch-size check.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Validation data for the train-mode/eval-mode accuracy check; null skips it.</summary>
    public InMemoryDataset? Validation { get; init; }

    /// <summary>Batch size of the train-mode (batch statistics) pass of the gap check. Null: <see cref="BatchSize"/>
    /// when it is at least 32 (what training normalised with), else 256.</summary>
    public int? GapBatchSize { get; init; }

    /// <summary>Below this many samples per batch BN's statistics become noisy (Wu and He 2018, fig. 1: BN's
    /// ImageNet error rises steeply below 16 images per batch).</summary>
    public int MinBatchSize { get; init; } = 16;

    /// <summary>An eval-mode accuracy lower than the train-mode accuracy by more than this (a fraction,
    /// 0.05 = 5 points) is reported.</summary>
    public double MaxAccuracyGap { get; init; } = 0.05;

    /// <summary>A BN momentum (PyTorch convention: weight of the new batch) at or above this looks like
    /// Keras's convention (weight of the old value, default 0.99).</summary>
    public double SuspiciousMomentum { get; init; } = 0.5;
}

using NormSharp.Models;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// One training run of an MNIST MLP in the MLP experiments (depth-sweep, activations, learning-rates,
/// batch-size, gradients): the model, the optimizer, the budget and what is measured along the way.
/// </summary>
internal sealed record MlpRunSpec
{
    /// <summary>Hidden layer sizes (the seed's 500, 400, 300, 200, 100, 50, 25 taken 1…7 deep).</summary>
    public required IReadOnlyList<int> Hidden { get; init; }

    /// <summary>Activation by <see cref="ActivationFactory"/> name.</summary>
    public string Activation { get; init; } = "relu";

    /// <summary>BatchNorm1d between every hidden Dense and its activation (the seed's placement).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>BN momentum in PyTorch's convention (weight of the new batch): Keras's default
    /// <c>momentum=0.99</c> — the seed's <c>tf.keras.layers.BatchNormalization()</c> — is 0.01 here.</summary>
    public float Momentum { get; init; } = KerasMomentum;

    /// <summary>BN ε (Keras 1e-3, PyTorch 1e-5).</summary>
    public float Eps { get; init; } = KerasEps;

    /// <summary>Weight initialisation by name; null keeps the engine's (PyTorch's) default.</summary>
    public string? Init { get; init; }

    /// <summary>"adam" (the seed's optimizer) or "sgd".</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>Learning rate (Adam's default 1e-3, as tf.train.AdamOptimizer's).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Examples per step (the seed: 500).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>The step budget.</summary>
    public long MaxSteps { get; init; } = 1000;

    /// <summary>Test accuracy every this many steps (the seed: every 10); the last step is always measured.</summary>
    public int EvaluateEvery { get; init; } = 10;

    /// <summary>After this step, measure only every <see cref="SparseEvaluateEvery"/> steps (and at the last
    /// step): the crossings of 90 % happen early, and the long tail of a curve needs fewer points.</summary>
    public long DenseEvaluationUntil { get; init; } = long.MaxValue;

    /// <summary>The measurement interval after <see cref="DenseEvaluationUntil"/>.</summary>
    public int SparseEvaluateEvery { get; init; } = 50;

    /// <summary>Whether step <paramref name="step"/> is a measurement point (the last step always is).</summary>
    public bool MeasuresAt(long step) => step % EvaluateEvery == 0 && (step <= DenseEvaluationUntil || step % SparseEvaluateEvery == 0);

    /// <summary>Stop once every measured accuracy has reached <see cref="Target"/>.</summary>
    public bool StopAtTarget { get; init; }

    /// <summary>The accuracy whose first crossing is reported (the seed: 90 %).</summary>
    public double Target { get; init; } = 0.9;

    /// <summary>Also measure the test accuracy with batch statistics (train-mode BN on test batches of
    /// <see cref="BatchSize"/>), leaving the running statistics untouched.</summary>
    public bool MeasureBatchStatistics { get; init; }

    /// <summary>Also measure the test accuracy after precise-BN recalibration of the running statistics
    /// (<see cref="NormSharp.Layers.PreciseBatchNorm"/>) on <see cref="RecalibrationBatches"/> training batches;
    /// the training run itself keeps its own running statistics.</summary>
    public bool MeasureRecalibrated { get; init; }

    /// <summary>Training batches used by each recalibration.</summary>
    public int RecalibrationBatches { get; init; } = 10;

    /// <summary>Seed of the weights and of the batch order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Keras's BatchNormalization defaults (momentum 0.99 = PyTorch 0.01, ε 1e-3).</summary>
    public const float KerasMomentum = 0.01f, KerasEps = 1e-3f;

    /// <summary>PyTorch's BatchNorm1d defaults (momentum 0.1, ε 1e-5).</summary>
    public const float TorchMomentum = 0.1f, TorchEps = 1e-5f;

    /// <summary>The model options of this run.</summary>
    public ModelOptions ModelOptions() => new()
    {
        Activation = Activation,
        Normalization = BatchNorm ? NormalizationKind.BatchNorm : NormalizationKind.None,
        BatchNormMomentum = Momentum,
        BatchNormEps = Eps,
        // Keras's Dense before BN keeps its bias (the seed's Dense(n_units, activation=None)); it also makes
        // the BN and plain nets start from identical weights (same draws from the same generator).
        BiasBeforeBatchNorm = true,
        Rng = new Rng(Seed),
    };

    /// <summary>"BN (Keras 0.99/1e-3)", "BN (PyTorch 0.1/1e-5)" or "no BN".</summary>
    public string BatchNormLabel => !BatchNorm ? "no BN"
        : Momentum == KerasMomentum && Eps == KerasEps ? "BN (Keras 0.99/1e-3)"
        : Momentum == TorchMomentum && Eps == TorchEps ? "BN (PyTorch 0.1/1e-5)"
        : $"BN (momentum {Momentum:G3}, ε {Eps:G3})";
}

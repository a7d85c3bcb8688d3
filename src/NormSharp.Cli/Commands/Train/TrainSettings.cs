using NormSharp.Training;

namespace NormSharp.Cli.Commands.Train;

/// <summary>Everything <c>normsharp train</c> was asked to do, parsed but not yet checked against the data.</summary>
internal sealed record TrainSettings
{
    public string Model { get; init; } = "mlp";
    public IReadOnlyList<int> Hidden { get; init; } = [.. NormSharp.Models.ModelZoo.SeedHiddenSizes];
    public bool HiddenGiven { get; init; }
    public string? Activation { get; init; }
    public bool BatchNorm { get; init; }
    public float BatchNormMomentum { get; init; } = 0.1f;
    public float BatchNormEps { get; init; } = 1e-5f;
    public bool BiasBeforeBatchNorm { get; init; }

    public string Dataset { get; init; } = "mnist";
    public string? DataDirectory { get; init; }
    public double ValidationSplit { get; init; }
    public int? TrainLimit { get; init; }

    public int? Epochs { get; init; }
    public long? Steps { get; init; }
    public int BatchSize { get; init; } = 64;
    public string Optimizer { get; init; } = "sgd";
    public float? LearningRate { get; init; }
    public float Momentum { get; init; }
    public float? WeightDecay { get; init; }
    public float? ClipNorm { get; init; }
    public float? ClipValue { get; init; }
    public string? LearningRateSchedule { get; init; }
    public ulong Seed { get; init; } = 42;
    public int? Threads { get; init; }
    public int? EvalEvery { get; init; }
    public double? TargetAccuracy { get; init; }

    public string? MetricsPath { get; init; }
    public string? PlotPath { get; init; }
    public string? SavePath { get; init; }
    public string? SaveInitialPath { get; init; }
    public string? CheckpointPath { get; init; }
    public int? CheckpointEvery { get; init; }
    public string? ResumePath { get; init; }
    public NonFinitePolicy OnNonFinite { get; init; } = NonFinitePolicy.Stop;

    public double? SoakMinutes { get; init; }
    public string? MemoryLogPath { get; init; }
    public bool Quiet { get; init; }

    /// <summary>Data-parallel over the mpirun ranks (<see cref="TrainDistributedRunner"/>).</summary>
    public bool Distributed { get; init; }

    /// <summary>With <see cref="Distributed"/>: keep per-rank BN instead of SyncBatchNorm.</summary>
    public bool NoSyncBatchNorm { get; init; }

    /// <summary>The learning rate when none was given: PyTorch's optimizer defaults (SGD has none; 0.01 as Keras).</summary>
    public float EffectiveLearningRate => LearningRate ?? Optimizer switch
    {
        "adam" or "adamw" => 1e-3f,
        _ => 1e-2f,
    };

    /// <summary>Whether the model is a file (custom architecture JSON) rather than a zoo name.</summary>
    public bool ModelIsFile => Model is not ("mlp" or "lenet");
}

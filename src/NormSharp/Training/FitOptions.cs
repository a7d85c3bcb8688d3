using NormSharp.Data;
using NormSharp.Optimizers;

namespace NormSharp.Training;

/// <summary>How <see cref="Trainer.Fit"/> trains: budget, validation, callbacks, schedule, seed.</summary>
public sealed record FitOptions
{
    /// <summary>Epochs to train. Null means 1 epoch, or unlimited when <see cref="MaxSteps"/> is set.</summary>
    public int? Epochs { get; init; }

    /// <summary>Stop after this many optimizer steps (whichever of the two budgets ends first).</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Evaluated (eval mode) at every evaluation point when set.</summary>
    public InMemoryDataset? Validation { get; init; }

    /// <summary>Batch size for evaluating <see cref="Validation"/>.</summary>
    public int ValidationBatchSize { get; init; } = 1000;

    /// <summary>Write a history record (and evaluate <see cref="Validation"/>) every this many steps.
    /// Null: once at the end of each epoch.</summary>
    public int? EvaluateEverySteps { get; init; }

    /// <summary>Called at the end of every step, epoch and evaluation; may stop training.</summary>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init; } = [];

    /// <summary>Stepped once at the end of every full epoch (PyTorch's per-epoch <c>scheduler.step()</c>).</summary>
    public LearningRateScheduler? Scheduler { get; init; }

    /// <summary>When set, every stochastic layer (<see cref="Layers.IStochastic"/>, e.g. Dropout) gets a
    /// generator forked, in module order, from <c>new Rng(Seed)</c> before training. The batch order comes
    /// from the <see cref="DataLoader"/>'s own seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>
    /// Continues an interrupted run from a checkpoint (<c>Checkpoint.Load</c> restores the model, optimizer,
    /// schedule, generators and loader, and returns this position). The step and epoch counters start
    /// here and <see cref="Epochs"/>/<see cref="MaxSteps"/> count from the run's beginning, so the resumed
    /// call takes the same options as the uninterrupted one; a loader stopped mid-epoch finishes that
    /// epoch in its saved order; <see cref="Seed"/> is not reapplied (the generators were restored).
    /// The result is bit-identical to the uninterrupted run.
    /// </summary>
    public TrainingPosition? ResumeFrom { get; init; }

    /// <summary>What to do when the loss, a gradient or a weight becomes NaN or ±∞ (default: no check).
    /// With a check, every gradient is scanned after the backward pass and every weight after the update
    /// (one pass over memory each).</summary>
    public NonFinitePolicy OnNonFinite { get; init; } = NonFinitePolicy.Ignore;

    /// <summary>With <see cref="NonFinitePolicy.SkipBatch"/>: more non-finite batches in a row than this stop
    /// training (the model itself is broken, and skipping would loop forever).</summary>
    public int MaxConsecutiveSkips { get; init; } = 100;

    internal void Validate()
    {
        if (Epochs is < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be at least 1");
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "max steps must be at least 1");
        if (ValidationBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(ValidationBatchSize), ValidationBatchSize, "must be at least 1");
        if (EvaluateEverySteps is < 1) throw new ArgumentOutOfRangeException(nameof(EvaluateEverySteps), EvaluateEverySteps, "must be at least 1");
        ArgumentNullException.ThrowIfNull(Callbacks, nameof(Callbacks));
        if (MaxConsecutiveSkips < 0) throw new ArgumentOutOfRangeException(nameof(MaxConsecutiveSkips), MaxConsecutiveSkips, "must be ≥ 0");
        if (!Enum.IsDefined(OnNonFinite)) throw new ArgumentOutOfRangeException(nameof(OnNonFinite), OnNonFinite, "unknown policy");
        if (ResumeFrom is { Step: < 0 } or { Epoch: < 0 } or { StepInEpoch: < 0 })
            throw new ArgumentOutOfRangeException(nameof(ResumeFrom), ResumeFrom, "a resume position has non-negative counters");
    }
}

namespace NormSharp.Training;

/// <summary>
/// Training met a NaN or ±∞ (<see cref="NonFinitePolicy.Stop"/>). The message names the step, what was
/// non-finite and the first layer where it appeared; the weights are those before the faulty update.
/// </summary>
public sealed class NonFiniteTrainingException : Exception
{
    internal NonFiniteTrainingException(NumericFault fault, long step, int epoch, int batchInEpoch)
        : base($"non-finite {fault.What} at step {step} (epoch {epoch}, batch {batchInEpoch}): {fault.Where}")
    {
        Step = step;
        Epoch = epoch;
        BatchInEpoch = batchInEpoch;
        Kind = fault.Kind;
        Layer = fault.Layer;
    }

    /// <summary>The optimizer step that failed (1-based: the step that would have been taken).</summary>
    public long Step { get; }

    /// <summary>The epoch in progress, 1-based.</summary>
    public int Epoch { get; }

    /// <summary>The batch of the epoch, 1-based.</summary>
    public int BatchInEpoch { get; }

    /// <summary>What was non-finite.</summary>
    public NumericFaultKind Kind { get; }

    /// <summary>The layer (state-dict name prefix, e.g. "2" or "3.1", or "input") where the value first
    /// appeared; null when it cannot be told.</summary>
    public string? Layer { get; }
}

/// <summary>Where a non-finite value was found.</summary>
public enum NumericFaultKind
{
    /// <summary>The loss of the batch (the forward pass or the input produced it).</summary>
    Loss,

    /// <summary>A parameter gradient (the loss was finite; the backward pass overflowed).</summary>
    Gradient,

    /// <summary>A weight after the optimizer update (learning rate too high).</summary>
    Weight,
}

/// <summary>A diagnosed fault: its kind, the layer name and a sentence saying where it appeared.</summary>
internal sealed record NumericFault(NumericFaultKind Kind, string What, string? Layer, string Where);

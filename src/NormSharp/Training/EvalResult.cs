namespace NormSharp.Training;

/// <summary>The outcome of <see cref="Trainer.Evaluate"/>.</summary>
/// <param name="Loss">Mean loss over all examples (batch means weighted by batch size).</param>
/// <param name="Accuracy">Fraction of examples whose arg-max class equals the label, in [0, 1]; null for
/// regression (targets that are not class indices).</param>
/// <param name="Count">Number of examples evaluated.</param>
public sealed record EvalResult(double Loss, double? Accuracy, int Count);

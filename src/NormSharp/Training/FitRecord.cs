namespace NormSharp.Training;

/// <summary>One row of the training history, written at every evaluation point (every
/// <see cref="FitOptions.EvaluateEverySteps"/> steps, or at the end of each epoch).</summary>
/// <param name="Step">Optimizer steps done so far.</param>
/// <param name="Epoch">The epoch in progress (1-based).</param>
/// <param name="TrainLoss">Mean training loss over the steps since the previous record.</param>
/// <param name="TrainAccuracy">Training accuracy over the batches since the previous record (measured in
/// training mode, as Keras reports it); null for regression.</param>
/// <param name="ValidationLoss">Loss on the validation set (eval mode); null without one.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set; null without one or for regression.</param>
/// <param name="ElapsedSeconds">Wall time since <see cref="Trainer.Fit"/> started, evaluations included.</param>
/// <param name="ExamplesPerSecond">Training throughput since the previous record, evaluation time excluded.</param>
/// <param name="LearningRate">The optimizer's learning rate at this point.</param>
public sealed record FitRecord(
    long Step,
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double ElapsedSeconds,
    double ExamplesPerSecond,
    float LearningRate);

namespace NormSharp.Cli.Experiments;

/// <summary>One measurement point of a run: test accuracies after <paramref name="Step"/> steps.</summary>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TrainSeconds">Training wall time so far, measurements excluded.</param>
/// <param name="TrainLoss">Mean training loss since the previous point (NaN at step 0).</param>
/// <param name="EvalAccuracy">Test accuracy in eval mode (BN with its running statistics) — what the seed's
/// <c>tf.estimator</c> evaluation reports.</param>
/// <param name="BatchStatAccuracy">Test accuracy with batch statistics (NaN when not measured).</param>
/// <param name="RecalibratedAccuracy">Test accuracy after precise-BN recalibration (NaN when not measured).</param>
internal sealed record MlpPoint(long Step, double TrainSeconds, double TrainLoss, double EvalAccuracy,
    double BatchStatAccuracy, double RecalibratedAccuracy);

/// <summary>The outcome of one <see cref="MlpRunSpec"/>.</summary>
internal sealed class MlpRunResult
{
    public required MlpRunSpec Spec { get; init; }

    /// <summary>Measurement points in step order, step 0 first.</summary>
    public List<MlpPoint> Points { get; } = [];

    /// <summary>Steps taken.</summary>
    public long Steps { get; set; }

    /// <summary>Training wall time, measurements excluded.</summary>
    public double TrainSeconds { get; set; }

    /// <summary>Milliseconds per training step (measurements excluded).</summary>
    public double MsPerStep => Steps > 0 ? 1000 * TrainSeconds / Steps : double.NaN;

    /// <summary>The training loss became NaN or infinite (the run stopped there).</summary>
    public bool Diverged { get; set; }

    /// <summary>The engine's error when the run could not train at all (BN at batch size 1); null otherwise.</summary>
    public string? Error { get; set; }

    /// <summary>Eval-mode test accuracy at the last point (NaN when the run failed).</summary>
    public double FinalAccuracy => Points.Count > 0 ? Points[^1].EvalAccuracy : double.NaN;

    /// <summary>The first point whose <paramref name="accuracy"/> reached the spec's target; null if none did.</summary>
    public MlpPoint? FirstReaching(Func<MlpPoint, double> accuracy)
    {
        foreach (var point in Points)
            if (accuracy(point) >= Spec.Target) return point;
        return null;
    }

    /// <summary>Steps to the target by eval-mode accuracy (NaN: not reached).</summary>
    public double StepsToTarget => FirstReaching(p => p.EvalAccuracy)?.Step ?? double.NaN;

    /// <summary>Training seconds to the target by eval-mode accuracy (NaN: not reached).</summary>
    public double SecondsToTarget => FirstReaching(p => p.EvalAccuracy)?.TrainSeconds ?? double.NaN;
}

using NormSharp.Cli.Reporting;
using NormSharp.Models;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// Seed 000 (Chris Rawles' tf.keras BN tutorial): MNIST MLPs with the hidden layers 500, 400, 300, 200,
/// 100, 50, 25 taken 1…7 deep, ReLU and sigmoid, without BN and with BN before each activation, Adam at
/// batch 500, test accuracy every 10 steps; steps (and seconds) to 90 % test accuracy per depth, the
/// 7-layer nets' accuracy curves, and milliseconds per step with and without BN. BN runs twice: with
/// Keras's defaults (the seed's: momentum 0.99 = PyTorch 0.01, ε 1e-3) and PyTorch's (0.1, 1e-5); every
/// BN run also measures the accuracy with batch statistics and after precise-BN recalibration, which
/// shows how much of the eval-mode number is the lag of the running averages.
/// </summary>
public sealed class DepthSweepExperiment : IExperiment
{
    /// <inheritdoc />
    public string Name => "depth-sweep";

    /// <inheritdoc />
    public string Description => "Seed 000: steps to 90 % MNIST test accuracy vs depth (1–7 hidden layers), ReLU/sigmoid, with and without BN; BN's time per step; running-average lag";

    /// <summary>The activations of the seed.</summary>
    internal static readonly string[] Activations = ["relu", "sigmoid"];

    /// <summary>The BN settings compared: none, Keras's defaults (the seed), PyTorch's defaults.</summary>
    internal static readonly (bool BatchNorm, float Momentum, float Eps)[] Variants =
    [
        (false, MlpRunSpec.KerasMomentum, MlpRunSpec.KerasEps),
        (true, MlpRunSpec.KerasMomentum, MlpRunSpec.KerasEps),
        (true, MlpRunSpec.TorchMomentum, MlpRunSpec.TorchEps),
    ];

    /// <summary>Budgets: full = the seed's 1000 steps on all of MNIST, measured every 10 steps up to step 300
    /// and every 50 after; quick = 3 depths, 10k/1k examples, 40 steps, 4 recalibration batches.</summary>
    internal static (int[] Depths, int Train, int Test, int Steps, long DenseUntil, int Recalibration) Budget(bool quick) => quick
        ? ([1, 4, 7], 10_000, 1_000, 40, long.MaxValue, 4)
        : ([1, 2, 3, 4, 5, 6, 7], 60_000, 10_000, 1000, 300, 10);

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        var (depths, trainCount, testCount, steps, denseUntil, recalibration) = Budget(options.Quick);
        var (train, test) = MnistData.Subsets(options, trainCount, testCount);
        int deepest = depths[^1];
        var results = new List<MlpRunResult>();
        foreach (int depth in depths)
            foreach (string activation in Activations)
                foreach (var (bn, momentum, eps) in Variants)
                {
                    var spec = new MlpRunSpec
                    {
                        Hidden = [.. ModelZoo.SeedHiddenSizes.Take(depth)],
                        Activation = activation,
                        BatchNorm = bn,
                        Momentum = momentum,
                        Eps = eps,
                        MaxSteps = steps,
                        DenseEvaluationUntil = denseUntil,
                        RecalibrationBatches = recalibration,
                        // The deepest nets train the whole budget for their accuracy curves; the others stop once
                        // every measured accuracy has crossed 90 %.
                        StopAtTarget = depth != deepest,
                        MeasureBatchStatistics = true,
                        MeasureRecalibrated = true,
                        Seed = options.Seed,
                    };
                    var result = MlpRunner.Run(spec, train, test, reporter.Progress);
                    results.Add(result);
                    reporter.Progress.Log($"depth-sweep: {MlpRunner.Label(spec)}: 90 % at step {Cell(result.StepsToTarget)} " +
                                          $"(batch stats {Cell(StepsTo(result, p => p.BatchStatAccuracy))}, recalibrated {Cell(StepsTo(result, p => p.RecalibratedAccuracy))}), " +
                                          $"{result.MsPerStep:F1} ms/step");
                }
        WriteTables(reporter, results);
        DepthSweepReport.Write(reporter, Name, results, depths, train.Count, test.Count, steps, options.Quick);
    }

    /// <summary>Steps to the target by <paramref name="accuracy"/> (NaN: not reached or not measured).</summary>
    internal static double StepsTo(MlpRunResult result, Func<MlpPoint, double> accuracy) => result.FirstReaching(accuracy)?.Step ?? double.NaN;

    private static string Cell(double steps) => double.IsNaN(steps) ? "—" : steps.ToString("0", System.Globalization.CultureInfo.InvariantCulture);

    private static void WriteTables(ExperimentReporter reporter, List<MlpRunResult> results)
    {
        var curves = new CsvTable("activation", "batch_norm", "momentum", "eps", "depth", "step", "train_seconds", "train_loss",
            "test_acc_eval", "test_acc_batch_stats", "test_acc_recalibrated");
        var summary = new CsvTable("activation", "batch_norm", "momentum", "eps", "depth", "steps_to_90_eval", "seconds_to_90_eval",
            "steps_to_90_batch_stats", "steps_to_90_recalibrated", "steps_run", "final_acc_eval", "ms_per_step", "diverged");
        foreach (var r in results)
        {
            var s = r.Spec;
            object? momentum = s.BatchNorm ? s.Momentum : null, eps = s.BatchNorm ? s.Eps : null;
            foreach (var p in r.Points)
                curves.Add(s.Activation, s.BatchNorm, momentum, eps, s.Hidden.Count, p.Step, p.TrainSeconds, p.TrainLoss,
                    p.EvalAccuracy, p.BatchStatAccuracy, p.RecalibratedAccuracy);
            summary.Add(s.Activation, s.BatchNorm, momentum, eps, s.Hidden.Count, r.StepsToTarget, r.SecondsToTarget,
                StepsTo(r, p => p.BatchStatAccuracy), StepsTo(r, p => p.RecalibratedAccuracy), r.Steps, r.FinalAccuracy, r.MsPerStep, r.Diverged);
        }
        reporter.WriteCsv("curves.csv", curves);
        reporter.WriteCsv("steps_to_90.csv", summary);
    }
}

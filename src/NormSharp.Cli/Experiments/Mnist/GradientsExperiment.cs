using NormSharp.Cli.Reporting;
using NormSharp.Models;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// The vanishing-gradient picture behind all seeds (seed 000: "gradients tend to get smaller in the lower
/// layers"; seed 002: sigmoid saturates): per-layer weight-gradient norms of the seed-000 7-layer MLP over
/// training, sigmoid (and ReLU for comparison), with and without BN (PyTorch defaults), Adam lr 1e-3,
/// batch 500.
/// </summary>
public sealed class GradientsExperiment : IExperiment
{
    /// <inheritdoc />
    public string Name => "gradients";

    /// <inheritdoc />
    public string Description => "Per-layer gradient norms of the 7-layer MNIST MLP (sigmoid, ReLU) over training, with and without BN";

    /// <summary>Full: 500 steps on all of MNIST, norms every step; quick: 60 steps on 10k images.</summary>
    internal static (int Train, int Test, int Steps) Budget(bool quick) => quick ? (10_000, 1_000, 60) : (60_000, 10_000, 500);

    /// <summary>Steps over which the per-layer profile figure averages the norms (the start of training,
    /// where the vanishing gradient decides whether the lower layers learn at all).</summary>
    internal const int ProfileSteps = 10;

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        var (trainCount, testCount, steps) = Budget(options.Quick);
        var (train, test) = MnistData.Subsets(options, trainCount, testCount);
        var table = new CsvTable("activation", "batch_norm", "step", "layer", "grad_norm");
        var runs = new List<(string Activation, bool BatchNorm, GradientNormRecorder Recorder, MlpRunResult Result)>();
        foreach (string activation in (string[])["sigmoid", "relu"])
            foreach (bool bn in (bool[])[false, true])
            {
                var spec = new MlpRunSpec
                {
                    Hidden = ModelZoo.SeedHiddenSizes,
                    Activation = activation,
                    BatchNorm = bn,
                    Momentum = MlpRunSpec.TorchMomentum,
                    Eps = MlpRunSpec.TorchEps,
                    MaxSteps = steps,
                    EvaluateEvery = steps / 5,
                    Seed = options.Seed,
                };
                GradientNormRecorder? recorder = null;
                var result = MlpRunner.Run(spec, train, test, reporter.Progress, model => [recorder = new GradientNormRecorder(model)]);
                runs.Add((activation, bn, recorder!, result));
                foreach (var (step, norms) in recorder!.Records)
                    for (int l = 0; l < norms.Length; l++) table.Add(activation, bn, step, l + 1, norms[l]);
                reporter.Progress.Log($"gradients: {MlpRunner.Label(spec)}: layer-1 / output-layer gradient norm at step 1 = " +
                                      $"{recorder.Records[0].Norms[0]:G3} / {recorder.Records[0].Norms[^1]:G3}, final accuracy {MlpSeries.Percent(result.FinalAccuracy)}");
            }
        reporter.WriteCsv("gradient_norms.csv", table);
        GradientsReport.Write(reporter, Name, runs, steps, train.Count, options.Quick);
    }
}

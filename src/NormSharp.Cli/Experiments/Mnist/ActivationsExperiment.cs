using NormSharp.Cli.Reporting;
using NormSharp.Models;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// Seed 002 (深度学习三人行 4, after Géron ch. 11): the remedies for vanishing gradients — better
/// activations (ReLU, LeakyReLU, PReLU, RReLU, ELU, SELU against sigmoid and tanh), He vs Xavier
/// initialisation, and BN — on the seed-000 7-layer MNIST MLP, Adam lr 1e-3, batch 500: final test
/// accuracy and steps to 90 % for every combination.
/// </summary>
public sealed class ActivationsExperiment : IExperiment
{
    /// <inheritdoc />
    public string Name => "activations";

    /// <inheritdoc />
    public string Description => "Seed 002: 7-layer MNIST MLP with 8 activations × He/Xavier init × with/without BN — final accuracy and steps to 90 %";

    /// <summary>The seed's activations, by <see cref="ActivationFactory"/> name.</summary>
    internal static readonly string[] Activations = ["relu", "leaky_relu", "prelu", "rrelu", "elu", "selu", "sigmoid", "tanh"];

    /// <summary>The seed's initialisations: "he" (he_normal) and "xavier" (xavier_uniform), see <see cref="MlpRunner.Build"/>.</summary>
    internal static readonly string[] Inits = ["he", "xavier"];

    /// <summary>Full: 100 steps, accuracy every 10 steps on the first 5,000 test images (the sweep has 32 runs); quick: 15 steps on 10k/1k images.</summary>
    internal static (int Train, int Test, int Steps, long DenseUntil) Budget(bool quick) => quick ? (10_000, 1_000, 15, long.MaxValue) : (60_000, 5_000, 100, 100);

    /// <inheritdoc />
    public void Run(ExperimentOptions options, ExperimentReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        var (trainCount, testCount, steps, denseUntil) = Budget(options.Quick);
        var (train, test) = MnistData.Subsets(options, trainCount, testCount);
        var available = ActivationFactory.Names.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var results = new List<MlpRunResult>();
        var missing = Activations.Where(a => !available.Contains(a)).ToList();
        foreach (string activation in Activations.Where(available.Contains))
            foreach (string init in Inits)
                foreach (bool bn in (bool[])[false, true])
                {
                    var spec = new MlpRunSpec
                    {
                        Hidden = ModelZoo.SeedHiddenSizes,
                        Activation = activation,
                        Init = init,
                        BatchNorm = bn,
                        Momentum = MlpRunSpec.TorchMomentum,
                        Eps = MlpRunSpec.TorchEps,
                        MaxSteps = steps,
                        DenseEvaluationUntil = denseUntil,
                        Seed = options.Seed,
                    };
                    var result = MlpRunner.Run(spec, train, test, reporter.Progress);
                    results.Add(result);
                    reporter.Progress.Log($"activations: {MlpRunner.Label(spec)}: final {MlpSeries.Percent(result.FinalAccuracy)}, 90 % at step {MlpSeries.Steps(result.StepsToTarget)}");
                }
        foreach (string a in missing) reporter.Progress.Log($"activations: '{a}' is not in this build's ActivationFactory ({string.Join(", ", ActivationFactory.Names)}): not run");

        var table = new CsvTable("activation", "init", "batch_norm", "final_acc", "steps_to_90", "seconds_to_90", "ms_per_step", "diverged");
        var curves = new CsvTable("activation", "init", "batch_norm", "step", "train_loss", "test_acc");
        foreach (var r in results)
        {
            table.Add(r.Spec.Activation, r.Spec.Init, r.Spec.BatchNorm, r.FinalAccuracy, r.StepsToTarget, r.SecondsToTarget, r.MsPerStep, r.Diverged);
            foreach (var p in r.Points) curves.Add(r.Spec.Activation, r.Spec.Init, r.Spec.BatchNorm, p.Step, p.TrainLoss, p.EvalAccuracy);
        }
        reporter.WriteCsv("activations.csv", table);
        reporter.WriteCsv("curves.csv", curves);
        ActivationsReport.Write(reporter, Name, results, missing, steps, train.Count, test.Count, options.Quick);
    }
}

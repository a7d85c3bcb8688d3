using NormSharp.Cli.Reporting;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// Trains one <see cref="MlpRunSpec"/> on MNIST through <see cref="Trainer.Fit"/>: builds the net with
/// <see cref="ModelZoo.Mlp"/>, measures the test accuracy at step 0 and every
/// <see cref="MlpRunSpec.EvaluateEvery"/> steps (<see cref="AccuracyProbe"/>), and turns an engine error that
/// makes the run impossible (BN on batches of one) into <see cref="MlpRunResult.Error"/> instead of a crash.
/// </summary>
internal static class MlpRunner
{
    /// <summary>Runs <paramref name="spec"/>; the callbacks <paramref name="callbacks"/> makes for the built model
    /// see every step too (e.g. gradient norms).</summary>
    public static MlpRunResult Run(MlpRunSpec spec, InMemoryDataset train, InMemoryDataset test, IProgressSink progress,
        Func<Sequential, IReadOnlyList<ITrainingCallback>>? callbacks = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var result = new MlpRunResult { Spec = spec };
        var model = Build(spec, train.ExampleShape[0], train.NumClasses);
        var trainer = new Trainer(model, new CrossEntropyLoss(), CreateOptimizer(spec, model));
        var loader = new DataLoader(train, spec.BatchSize, shuffle: true, seed: spec.Seed, dropLast: true);
        var task = progress.Start(Label(spec), spec.MaxSteps);
        var probe = new AccuracyProbe(spec, trainer, test, RecalibrationBatches(spec, train), task);
        try
        {
            probe.Measure(0, double.NaN);
            var options = new FitOptions
            {
                MaxSteps = spec.MaxSteps,
                EvaluateEverySteps = spec.EvaluateEvery,
                Seed = spec.Seed, // RReLU's and any other stochastic layer's generator
                Callbacks = [probe, .. callbacks?.Invoke(model) ?? []],
            };
            probe.StartClock();
            var fit = trainer.Fit(loader, options);
            result.Steps = fit.Steps;
            result.TrainSeconds = probe.TrainSeconds;
            result.Diverged = probe.Diverged;
            result.Points.AddRange(probe.Points);
        }
        catch (InvalidOperationException e) when (spec.BatchNorm && e.Message.Contains("more than 1 value", StringComparison.Ordinal))
        {
            // BN cannot normalise a batch of one example (PyTorch raises the same error): a result to report.
            result.Error = e.Message;
        }
        finally { task.Complete(); }
        return result;
    }

    /// <summary>The run's net: Dense → [BN] → activation per hidden layer, then the 10-way output layer.</summary>
    public static Sequential Build(MlpRunSpec spec, int inputs, int classes)
    {
        var model = ModelZoo.Mlp(inputs, spec.Hidden, classes, spec.ModelOptions());
        // The seed's two schemes: "he" = He et al. 2015, N(0, 2/fan_in) (Keras he_normal without truncation);
        // "xavier" = Glorot & Bengio 2010, U(±√(6/(fan_in + fan_out))) (Keras' default glorot_uniform). Biases 0.
        if (spec.Init is { } init && init != "default")
            Initializer.Parse(init switch { "he" => "he_normal", "xavier" => "xavier_uniform", _ => init }).Apply(model, new Rng(spec.Seed ^ 0x1417));
        return model;
    }

    private static Optimizer CreateOptimizer(MlpRunSpec spec, Module model) => spec.Optimizer switch
    {
        "adam" => new Adam(model.NamedParameters().Select(p => p.Parameter), lr: spec.LearningRate),
        "sgd" => new Sgd(model.NamedParameters().Select(p => p.Parameter), lr: spec.LearningRate, momentum: 0.9f),
        _ => throw new ArgumentException($"unknown optimizer '{spec.Optimizer}'; expected adam or sgd", nameof(spec)),
    };

    /// <summary>The first K·B training examples as K fixed batches (the same for every recalibration).</summary>
    private static IReadOnlyList<Tensor> RecalibrationBatches(MlpRunSpec spec, InMemoryDataset train)
    {
        if (!spec.BatchNorm || !spec.MeasureRecalibrated) return [];
        int k = Math.Max(1, Math.Min(spec.RecalibrationBatches, train.Count / spec.BatchSize));
        var batches = new Tensor[k];
        var indices = new int[spec.BatchSize];
        for (int b = 0; b < k; b++)
        {
            for (int i = 0; i < indices.Length; i++) indices[i] = b * spec.BatchSize + i;
            batches[b] = train.Subset(indices).Features;
        }
        return batches;
    }

    /// <summary>A progress label such as "7×relu BN (Keras 0.99/1e-3) lr 0.001 b500".</summary>
    public static string Label(MlpRunSpec spec) =>
        $"{spec.Hidden.Count}×{spec.Activation} {spec.BatchNormLabel}{(spec.Init is { } i ? " " + i : "")} lr {spec.LearningRate:G3} b{spec.BatchSize}";
}

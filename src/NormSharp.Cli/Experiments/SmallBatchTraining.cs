using System.Diagnostics;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Cli.Experiments;

/// <summary>One configuration of the small-batch grid: which network, normalization and batch size.</summary>
/// <param name="Network">"mlp" (seed 000's 7-hidden-layer ReLU MLP) or "lenet" (seed 004's sigmoid LeNet-5).</param>
/// <param name="Normalization">The normalization before every hidden activation.</param>
/// <param name="BatchSize">Samples per training step.</param>
public sealed record SmallBatchConfig(string Network, NormalizationKind Normalization, int BatchSize)
{
    /// <summary>Ghost BN's virtual batch size: a batch of up to this many samples is one virtual batch (plain BN).</summary>
    public const int VirtualBatchSize = 16;

    /// <summary>Adam's learning rate: 1e-3 at batch 32, scaled by √(B/32) — the square-root rule of Hoffer, Hubara
    /// and Soudry 2017 (the Ghost BN paper), which keeps the gradient noise comparable across batch sizes.</summary>
    public float LearningRate => (float)(1e-3 * Math.Sqrt(BatchSize / 32.0));

    /// <summary>The network, freshly initialised from <paramref name="seed"/>.</summary>
    public Sequential Build(ulong seed, int steps)
    {
        var options = new ModelOptions
        {
            Activation = Network == "lenet" ? "sigmoid" : "relu",
            Normalization = Normalization,
            VirtualBatchSize = VirtualBatchSize,
            // The paper keeps r = 1, d = 0 for the first ~4% of training, then relaxes them; here the clips
            // ramp up linearly over the first fifth of the run, whatever its length.
            RenormWarmupSteps = Math.Max(1, steps / 5),
            Rng = new Rng(seed),
        };
        return Network == "lenet" ? ModelZoo.LeNet(10, options) : ModelZoo.Mlp(784, ModelZoo.SeedHiddenSizes, 10, options);
    }

    /// <summary>The label used in tables and legends.</summary>
    public static string Label(NormalizationKind kind) => kind switch
    {
        NormalizationKind.None => "none",
        NormalizationKind.BatchNorm => "BN",
        NormalizationKind.BatchRenorm => "Batch Renorm",
        NormalizationKind.GhostBatchNorm => $"Ghost BN ({VirtualBatchSize})",
        NormalizationKind.GroupNorm => "GroupNorm",
        NormalizationKind.LayerNorm => "LayerNorm",
        _ => kind.ToString(),
    };
}

/// <summary>What one configuration reached.</summary>
public sealed record SmallBatchResult(SmallBatchConfig Config, int Steps, double TestAccuracy, double FinalLoss, double Seconds);

/// <summary>Trains one <see cref="SmallBatchConfig"/> for a fixed budget of examples and tests it in eval mode.</summary>
internal static class SmallBatchTraining
{
    /// <param name="config">What to train.</param>
    /// <param name="train">Training data; the budget is <paramref name="examples"/> samples (whole batches, reshuffled per epoch).</param>
    /// <param name="test">Test data, evaluated in eval mode (running statistics for the BN family).</param>
    /// <param name="examples">Training examples per configuration (the same for every batch size).</param>
    /// <param name="seed">Seed of the weights and the batch order.</param>
    public static SmallBatchResult Run(SmallBatchConfig config, InMemoryDataset train, InMemoryDataset test, int examples, ulong seed)
    {
        int steps = Math.Max(1, examples / config.BatchSize);
        var clock = Stopwatch.StartNew();
        var model = config.Build(seed, steps);
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter), config.LearningRate));
        // Drop-last: a short last batch of one sample would make BN fail, and Ghost BN needs whole virtual batches.
        var loader = new DataLoader(train, config.BatchSize, shuffle: true, seed: seed, dropLast: true);
        loader.StartEpoch();
        // The final loss is the mean over the last tenth of the steps (one batch's loss is noise at batch 2).
        int tail = Math.Max(1, steps / 10);
        double lossSum = 0;
        for (int step = 0; step < steps; step++)
        {
            if (!loader.TryNextBatch(out var x, out var y))
            {
                loader.StartEpoch();
                loader.TryNextBatch(out x, out y);
            }
            float loss = trainer.TrainStep(x, y);
            if (step >= steps - tail) lossSum += loss;
        }
        var evaluation = trainer.Evaluate(test, 1000);
        return new SmallBatchResult(config, steps, evaluation.Accuracy ?? double.NaN, lossSum / tail, clock.Elapsed.TotalSeconds);
    }
}

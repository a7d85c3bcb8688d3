using NormSharp.Layers;

namespace NormSharp.Models;

/// <summary>
/// The networks of the seeds, built from the engine's layers: the tf.keras tutorial's MNIST MLP (seed 000)
/// and d2l's LeNet-5 (seed 004). Layer order is the seeds': Dense/Conv → [BN] → activation.
/// </summary>
public static class ModelZoo
{
    /// <summary>The seed-000 hidden sizes, taken 1…7 deep by the depth sweep.</summary>
    public static IReadOnlyList<int> SeedHiddenSizes { get; } = [500, 400, 300, 200, 100, 50, 25];

    /// <summary>
    /// An MLP <paramref name="inputs"/> → hidden… → <paramref name="classes"/>: each hidden layer is
    /// Dense → [BatchNorm1d] → activation; the output layer is a plain Dense producing logits.
    /// State-dict keys are those of the same <c>torch.nn.Sequential</c> (e.g. "0.weight", "1.running_mean").
    /// </summary>
    public static Sequential Mlp(int inputs, IReadOnlyList<int> hidden, int classes, ModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        options ??= new ModelOptions();
        var layers = new List<Module>();
        int width = inputs;
        foreach (int units in hidden)
        {
            if (units < 1) throw new ArgumentOutOfRangeException(nameof(hidden), units, "every hidden layer needs at least 1 unit");
            bool bn = options.Normalization == NormalizationKind.BatchNorm;
            layers.Add(new Dense(width, units, bias: !bn || options.BiasBeforeBatchNorm, options.Rng));
            if (bn) layers.Add(new BatchNorm1d(units, options.BatchNormEps, options.BatchNormMomentum));
            layers.Add(ActivationFactory.Create(options.Activation));
            width = units;
        }
        layers.Add(new Dense(width, classes, bias: true, options.Rng));
        return new Sequential(layers);
    }

    /// <summary>
    /// LeNet-5 as d2l builds it for 28×28 inputs [N, 1, 28, 28]: Conv(1→6, 5, pad 2) → [BN2d] → act →
    /// AvgPool(2) → Conv(6→16, 5) → [BN2d] → act → AvgPool(2) → Flatten → Dense(400→120) → [BN1d] → act →
    /// Dense(120→84) → [BN1d] → act → Dense(84→10). d2l uses sigmoid.
    /// </summary>
    public static Sequential LeNet(int classes = 10, ModelOptions? options = null)
    {
        options ??= new ModelOptions { Activation = "sigmoid" };
        bool bn = options.Normalization == NormalizationKind.BatchNorm;
        bool bias = !bn || options.BiasBeforeBatchNorm;
        var layers = new List<Module>();
        void Normalize2d(int channels) { if (bn) layers.Add(new BatchNorm2d(channels, options.BatchNormEps, options.BatchNormMomentum)); }
        void Normalize1d(int features) { if (bn) layers.Add(new BatchNorm1d(features, options.BatchNormEps, options.BatchNormMomentum)); }

        layers.Add(new Conv2d(1, 6, 5, padding: 2, bias: bias, rng: options.Rng));
        Normalize2d(6);
        layers.Add(ActivationFactory.Create(options.Activation));
        layers.Add(new AvgPool2d(2, 2));
        layers.Add(new Conv2d(6, 16, 5, bias: bias, rng: options.Rng));
        Normalize2d(16);
        layers.Add(ActivationFactory.Create(options.Activation));
        layers.Add(new AvgPool2d(2, 2));
        layers.Add(new Flatten());
        layers.Add(new Dense(16 * 5 * 5, 120, bias, options.Rng));
        Normalize1d(120);
        layers.Add(ActivationFactory.Create(options.Activation));
        layers.Add(new Dense(120, 84, bias, options.Rng));
        Normalize1d(84);
        layers.Add(ActivationFactory.Create(options.Activation));
        layers.Add(new Dense(84, classes, bias: true, options.Rng));
        return new Sequential(layers);
    }
}

using NormSharp.Layers;

namespace NormSharp.Cli.Models;

/// <summary>
/// The reference networks of the seeds and benchmarks, built from library layers with PyTorch's
/// defaults (so bench/compare_torch.py builds the same thing): a multilayer perceptron with optional
/// BatchNorm before each activation, and d2l's LeNet-5 with optional BatchNorm after each convolution
/// and hidden dense layer.
/// </summary>
public static class ModelZoo
{
    /// <summary>Activation names <see cref="Activation"/> accepts.</summary>
    public static IReadOnlyList<string> Activations { get; } = ["relu", "sigmoid", "tanh"];

    /// <summary>
    /// input → hidden[0] → … → hidden[^1] → classes; each hidden layer is Dense, then BatchNorm1d when
    /// <paramref name="batchNorm"/>, then the activation (the seeds' "BN before ReLU"). The dense layers keep
    /// their bias as PyTorch's <c>nn.Linear</c> does, although BN's mean subtraction cancels it.
    /// </summary>
    /// <param name="input">Features per example (784 for flattened MNIST).</param>
    /// <param name="hidden">Width of each hidden layer (e.g. 500, 400, 300, 200, 100, 50, 25).</param>
    /// <param name="classes">Output logits.</param>
    /// <param name="batchNorm">Insert BatchNorm1d between each hidden Dense layer and its activation.</param>
    /// <param name="activation">One of <see cref="Activations"/>.</param>
    /// <param name="rng">Generator for the initial weights; <see cref="RandomState.Global"/> when null.</param>
    public static Sequential Mlp(int input, int[] hidden, int classes, bool batchNorm, string activation, Rng? rng = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(input, 1);
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        for (int i = 0; i < hidden.Length; i++)
            if (hidden[i] < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden[i], $"hidden layer {i} has width {hidden[i]}; widths must be at least 1");
        Activation(activation); // validate before building anything
        var model = new Sequential();
        int width = input;
        foreach (int h in hidden)
        {
            model.Add(new Dense(width, h, rng: rng));
            if (batchNorm) model.Add(new BatchNorm1d(h));
            model.Add(Activation(activation));
            width = h;
        }
        model.Add(new Dense(width, classes, rng: rng));
        return model;
    }

    /// <summary>
    /// d2l's LeNet-5 for 1×28×28 input (Dive into Deep Learning, §7.6 and §8.5 with BatchNorm):
    /// Conv2d(1, 6, 5, padding 2), [BN2d(6)], act, AvgPool(2, 2), Conv2d(6, 16, 5), [BN2d(16)], act, AvgPool(2, 2),
    /// Flatten, Dense(400, 120), [BN1d(120)], act, Dense(120, 84), [BN1d(84)], act, Dense(84, 10).
    /// </summary>
    /// <param name="batchNorm">Insert the bracketed BatchNorm layers.</param>
    /// <param name="activation">One of <see cref="Activations"/> (d2l uses sigmoid).</param>
    /// <param name="rng">Generator for the initial weights; <see cref="RandomState.Global"/> when null.</param>
    public static Sequential LeNet(bool batchNorm, string activation, Rng? rng = null)
    {
        Activation(activation);
        var model = new Sequential();
        void Block(Module layer, Module? norm)
        {
            model.Add(layer);
            if (norm is not null) model.Add(norm);
            model.Add(Activation(activation));
        }
        Block(new Conv2d(1, 6, 5, padding: 2, rng: rng), batchNorm ? new BatchNorm2d(6) : null);
        model.Add(new AvgPool2d(2, 2));
        Block(new Conv2d(6, 16, 5, rng: rng), batchNorm ? new BatchNorm2d(16) : null);
        model.Add(new AvgPool2d(2, 2));
        model.Add(new Flatten());
        Block(new Dense(16 * 5 * 5, 120, rng: rng), batchNorm ? new BatchNorm1d(120) : null);
        Block(new Dense(120, 84, rng: rng), batchNorm ? new BatchNorm1d(84) : null);
        model.Add(new Dense(84, 10, rng: rng));
        return model;
    }

    /// <summary>A new activation layer by name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Activations"/>.</exception>
    public static Module Activation(string name) => name?.ToLowerInvariant() switch
    {
        "relu" => new ReLU(),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        _ => throw new ArgumentException($"unknown activation '{name}'; expected one of {string.Join(", ", Activations)}", nameof(name)),
    };
}

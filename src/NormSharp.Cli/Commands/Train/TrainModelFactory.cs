using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Serialization;

namespace NormSharp.Cli.Commands.Train;

/// <summary>Builds the model of a <c>normsharp train</c> run and checks it against the data's shapes.</summary>
internal static class TrainModelFactory
{
    /// <summary>Largest architecture file read (its JSON parser has its own depth and size limits besides).</summary>
    private const long MaxArchitectureBytes = 16 << 20;

    /// <summary>Reads a custom architecture (null for the zoo models), before the data is loaded.</summary>
    public static Module? ReadArchitecture(TrainSettings s)
    {
        if (!s.ModelIsFile) return null;
        if (s.BatchNorm || s.Activation is not null || s.HiddenGiven || s.BiasBeforeBatchNorm)
            throw new TrainArgumentException($"--bn, --norm, --activation, --hidden and --bias-before-bn apply to mlp and lenet; '{s.Model}' defines its own layers");
        long length = new FileInfo(s.Model).Length;
        if (length > MaxArchitectureBytes)
            throw new TrainArgumentException($"--model '{s.Model}' is {length} bytes, more than the {MaxArchitectureBytes} an architecture JSON may have");
        try
        {
            return ArchitectureJson.Deserialize(File.ReadAllText(s.Model));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new TrainArgumentException($"--model '{s.Model}': {e.Message}");
        }
    }

    /// <summary>Whether the data must be NCHW images ([N, 1, 28, 28]) rather than flat rows.</summary>
    public static bool NeedsImages(TrainSettings s, Module? custom) =>
        s.Model == "lenet" || custom is Sequential { Count: > 0 } sequential && sequential[0] is Conv2d;

    /// <summary>The model for <paramref name="data"/>: the given architecture, or an MLP / LeNet-5 built from the options.</summary>
    public static Module Build(TrainSettings s, Module? custom, TrainData data)
    {
        int[] example = data.Train.ExampleShape;
        Module model;
        var options = new ModelOptions
        {
            Activation = s.Activation ?? (s.Model == "lenet" ? "sigmoid" : "relu"),
            Normalization = s.BatchNorm ? NormalizationKind.BatchNorm : NormalizationKind.None,
            BatchNormEps = s.BatchNormEps,
            BatchNormMomentum = s.BatchNormMomentum,
            BiasBeforeBatchNorm = s.BiasBeforeBatchNorm,
            Rng = new Rng(s.Seed),
        };
        if (custom is not null) model = custom;
        else if (s.Model == "lenet")
        {
            if (example is not [1, 28, 28])
                throw new TrainArgumentException($"--model lenet takes 28×28 grayscale images (mnist, fashion-mnist); '{s.Dataset}' has examples of shape [{string.Join(", ", example)}]");
            model = ModelZoo.LeNet(data.Classes, options);
        }
        else
        {
            if (example.Length != 1)
                throw new TrainArgumentException($"--model mlp takes flat feature rows; '{s.Dataset}' has examples of shape [{string.Join(", ", example)}]");
            model = ModelZoo.Mlp(example[0], s.Hidden, data.Classes, options);
        }
        CheckShapes(s, model, example, data.Classes);
        return model;
    }

    private static void CheckShapes(TrainSettings s, Module model, int[] example, int classes)
    {
        int[] output;
        try
        {
            output = model.OutputShape([s.BatchSize, .. example]);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new TrainArgumentException($"--model '{s.Model}' does not accept '{s.Dataset}' examples of shape [{string.Join(", ", example)}]: {e.Message}");
        }
        if (output is not [_, var c] || c != classes)
            throw new TrainArgumentException(
                $"--model '{s.Model}' outputs shape [{string.Join(", ", output)}] per batch; '{s.Dataset}' needs [batch, {classes}] class scores");
    }
}

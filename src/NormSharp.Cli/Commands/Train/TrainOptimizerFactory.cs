using System.Globalization;
using NormSharp.Layers;
using NormSharp.Optimizers;

namespace NormSharp.Cli.Commands.Train;

/// <summary>The optimizer and learning-rate schedule of a <c>normsharp train</c> run.</summary>
internal static class TrainOptimizerFactory
{
    public static Optimizer Create(TrainSettings s, Module model)
    {
        var parameters = model.NamedParameters().Select(p => p.Parameter);
        float lr = s.EffectiveLearningRate;
        float decay = s.WeightDecay ?? 0f;
        return s.Optimizer switch
        {
            "sgd" => new Sgd(parameters, lr, s.Momentum, weightDecay: decay),
            "adam" => new Adam(parameters, lr, weightDecay: decay),
            "adamw" => new AdamW(parameters, lr, weightDecay: s.WeightDecay ?? 0.01f),
            "rmsprop" => new RmsProp(parameters, lr, momentum: s.Momentum, weightDecay: decay),
            _ => throw new TrainArgumentException($"--optimizer '{s.Optimizer}' is unknown; expected sgd, adam, adamw or rmsprop"),
        };
    }

    /// <summary>The schedule for <paramref name="optimizer"/>, or null without <c>--lr-schedule</c>.</summary>
    public static LearningRateScheduler? CreateSchedule(TrainSettings s, Optimizer optimizer)
    {
        if (s.LearningRateSchedule is null) return null;
        var (step, gamma) = ParseSchedule(s.LearningRateSchedule);
        return step is { } size ? new StepLR(optimizer, size, gamma) : new ExponentialLR(optimizer, gamma);
    }

    /// <summary>Parses <c>step:EPOCHS:GAMMA</c> (step size set) or <c>exp:GAMMA</c> (step size null).</summary>
    public static (int? StepSize, float Gamma) ParseSchedule(string text)
    {
        var parts = text.Split(':');
        const string expected = "expected step:EPOCHS:GAMMA (e.g. step:30:0.1) or exp:GAMMA (e.g. exp:0.95)";
        if (parts is ["step", var size, var g])
        {
            if (!int.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new TrainArgumentException($"--lr-schedule '{text}': the step size '{size}' must be an integer ≥ 1");
            return (n, Gamma(text, g));
        }
        if (parts is ["exp", var gamma]) return (null, Gamma(text, gamma));
        throw new TrainArgumentException($"--lr-schedule '{text}' is not understood; {expected}");
    }

    private static float Gamma(string text, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float g) && g > 0 && float.IsFinite(g)
            ? g
            : throw new TrainArgumentException($"--lr-schedule '{text}': gamma '{value}' must be a finite number > 0");
}

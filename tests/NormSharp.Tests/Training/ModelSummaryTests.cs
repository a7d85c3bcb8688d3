using NormSharp.Layers;
using NormSharp.Models;
using NormSharp.Training;

namespace NormSharp.Tests.Training;

/// <summary>The Keras-like summary: rows, output shapes with a None batch, parameter counts with BN's running
/// statistics as non-trainable (as Keras counts moving_mean/moving_variance), frozen parameters, nested blocks.</summary>
public class ModelSummaryTests
{
    [Fact]
    public void MlpWithBatchNormCountsAsKerasDoes()
    {
        var model = ModelZoo.Mlp(784, [100], 10, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(1) });
        string text = ModelSummary.Format(model, [784]);
        string[] lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.StartsWith("Model: Sequential(4 layers)", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("0 (Dense)") && l.Contains("(None, 100)") && l.TrimEnd().EndsWith("78,400"));
        Assert.Contains(lines, l => l.StartsWith("1 (BatchNorm1d)") && l.Contains("(None, 100)") && l.TrimEnd().EndsWith("400"));
        Assert.Contains(lines, l => l.StartsWith("2 (ReLU)") && l.TrimEnd().EndsWith(" 0"));
        Assert.Contains(lines, l => l.StartsWith("3 (Dense)") && l.Contains("(None, 10)") && l.TrimEnd().EndsWith("1,010"));
        Assert.Contains("Total params: 79,810", text);
        Assert.Contains("Trainable params: 79,610", text);     // 78 400 + γ, β (200) + 1 010
        Assert.Contains("Non-trainable params: 200", text);    // running_mean, running_var; num_batches_tracked not counted
    }

    [Fact]
    public void FrozenParametersAndNestedBlocksAreCounted()
    {
        var rng = new Rng(2);
        var model = new Sequential(
            new Conv2d(1, 4, 3, padding: 1, rng: rng), new PReLU(4),
            new Residual(new Sequential(new Conv2d(4, 4, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(4))),
            new MaxPool2d(2), new Flatten(), new Dropout(), new Dense(4 * 4 * 4, 2, rng: rng));
        ((Conv2d)model[0]).WeightParameter.RequiresGrad = false;
        string text = model.Summary(1, 8, 8);
        Assert.Equal(ModelSummary.Format(model, [1, 8, 8]), text);
        Assert.Contains("2 (Residual)", text);
        Assert.Contains("(None, 4, 8, 8)", text);
        Assert.Contains("(None, 4, 4, 4)", text);
        Assert.Contains("(None, 64)", text);
        var counts = ModelSummary.Count(model);
        // trainable: conv bias 4 + PReLU 4 + inner conv 144 + BN γβ 8 + dense 130; frozen: conv weight 36 + BN running stats 8
        Assert.Equal(4 + 4 + 144 + 8 + 130, counts.Trainable);
        Assert.Equal(36 + 8, counts.NonTrainable);
        Assert.Contains("Trainable params: 290", text);
        Assert.Contains("Non-trainable params: 44", text);
    }

    [Fact]
    public void AShapeALayerRejectsIsNamed()
    {
        var model = new Sequential(new Dense(4, 3), new PReLU(5));
        var e = Assert.Throws<ArgumentException>(() => ModelSummary.Format(model, [4]));
        Assert.Contains("layer 1", e.Message);
    }
}

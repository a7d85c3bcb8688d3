using NormSharp.Losses;

namespace NormSharp.Tests.Losses;

/// <summary>Both losses: values from their definitions, gradients against finite differences, shape errors.</summary>
public class LossTests
{
    [Fact]
    public void CrossEntropyOfUniformLogitsIsLogOfClassCount()
    {
        var loss = new CrossEntropyLoss();
        float value = loss.Forward(new Tensor(4, 10), Tensor.FromArray([0f, 3f, 9f, 5f], 4));
        Assert.Equal(MathF.Log(10), value, 1e-6f);
    }

    [Fact]
    public void CrossEntropyGradientMatchesFiniteDifferences()
    {
        var rng = new Rng(5);
        var logits = GradientCheck.Random(rng, [6, 4], -3f, 3f);
        var labels = Tensor.FromArray([0f, 1f, 2f, 3f, 1f, 0f], 6);
        CheckLossGradient(new CrossEntropyLoss(), logits, labels);
    }

    [Fact]
    public void MseMatchesItsDefinitionAndFiniteDifferences()
    {
        var loss = new MseLoss();
        var p = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var t = Tensor.FromArray([0f, 2f, 5f, 4f], 2, 2);
        Assert.Equal((1f + 0f + 4f + 0f) / 4f, loss.Forward(p, t), 1e-7f);
        CheckLossGradient(new MseLoss(), GradientCheck.Random(new Rng(9), [5, 3]), GradientCheck.Random(new Rng(10), [5, 3]));
    }

    [Fact]
    public void ShapeErrorsNameWhatWasExpected()
    {
        var ce = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss().Forward(new Tensor(4, 3), new Tensor(5)));
        Assert.Contains("4 class indices", ce.Message);
        Assert.Throws<ArgumentException>(() => new CrossEntropyLoss().Forward(new Tensor(4), new Tensor(4)));
        var mse = Assert.Throws<ArgumentException>(() => new MseLoss().Forward(new Tensor(4, 3), new Tensor(4)));
        Assert.Contains("same size", mse.Message);
        Assert.Throws<InvalidOperationException>(() => new MseLoss().Backward());
    }

    private static void CheckLossGradient(Loss loss, Tensor prediction, Tensor target)
    {
        loss.Forward(prediction, target);
        var analytic = loss.Backward().Clone();
        GradientCheck.CompareAll("prediction", prediction, analytic, () => loss.Forward(prediction, target),
            rtol: 1e-2, atol: 1e-4, h: 1e-3, new Rng(1));
    }
}

using NormSharp.Layers;

namespace NormSharp.Tests.Layers;

/// <summary>Residual: y = body(x) + shortcut(x), gradients through both branches, names, shape errors.</summary>
public class ResidualTests
{
    [Fact]
    public void IdentityShortcutBackwardMatchesFiniteDifferences()
    {
        var rng = new Rng(1);
        var block = new Residual(new Sequential(new Dense(5, 5, rng: rng), new Tanh(), new Dense(5, 5, rng: rng)));
        GradientCheck.Check(block, GradientCheck.Random(new Rng(2), [4, 5]));
    }

    [Fact]
    public void ProjectionShortcutWithBatchNormMatchesFiniteDifferences()
    {
        var rng = new Rng(3);
        var block = new Residual(
            new Sequential(new Conv2d(2, 3, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(3), new Tanh(),
                new Conv2d(3, 3, 3, padding: 1, rng: rng)),
            new Sequential(new Conv2d(2, 3, 1, bias: false, rng: rng), new BatchNorm2d(3)));
        GradientCheck.Check(block, GradientCheck.Random(new Rng(4), [2, 2, 4, 4], -2f, 2f));
    }

    [Fact]
    public void AddsTheBranchesAndNamesThemBodyAndShortcut()
    {
        var body = new Dense(2, 2, bias: false);
        body.WeightParameter.Value.CopyFrom(Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2));
        var identity = new Residual(body);
        var y = identity.Forward(Tensor.FromArray([1f, 1f], 1, 2));
        Assert.Equal([1f + 3f, 1f + 7f], y.ToArray());
        Assert.Equal(["body.weight"], identity.StateDict().Keys);

        var projected = new Residual(new BatchNorm1d(2), new Dense(2, 2));
        Assert.Equal(
            ["body.weight", "body.bias", "body.running_mean", "body.running_var", "body.num_batches_tracked", "shortcut.weight", "shortcut.bias"],
            projected.StateDict().Keys);
    }

    [Fact]
    public void MismatchedBranchesAreAClearError()
    {
        var block = new Residual(new Dense(4, 3));
        var e = Assert.Throws<ArgumentException>(() => block.Forward(new Tensor(2, 4)));
        Assert.Contains("shortcut", e.Message);
        Assert.Throws<ArgumentException>(() => block.OutputShape([2, 4]));
        Assert.Equal([2, 3], new Residual(new Dense(4, 3), new Dense(4, 3)).OutputShape([2, 4]));
    }

    [Fact]
    public void SkipsTheInputGradientWhenNotNeeded()
    {
        var block = new Residual(new Dense(3, 3), new Dense(3, 3));
        block.Forward(GradientCheck.Random(new Rng(5), [2, 3]));
        block.NeedsInputGradient = false;
        Assert.Equal(0, block.Backward(Tensor.Full(1f, 2, 3)).Size);
        Assert.All(block.NamedParameters(), p => Assert.NotEqual(0f, p.Parameter.Grad.ToArray().Select(MathF.Abs).Sum()));
    }
}

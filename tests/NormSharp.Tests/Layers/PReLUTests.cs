using NormSharp.Layers;

namespace NormSharp.Tests.Layers;

/// <summary>PReLU: finite-difference gradients for the input and the learned slopes in every layout,
/// PyTorch's state dict and defaults, and shape errors.</summary>
public class PReLUTests
{
    [Theory]
    [InlineData(1, new[] { 4, 6 })]
    [InlineData(6, new[] { 4, 6 })]
    [InlineData(3, new[] { 2, 3, 5 })]
    [InlineData(3, new[] { 2, 3, 4, 4 })]
    [InlineData(1, new[] { 2, 3, 4, 4 })]
    public void BackwardMatchesFiniteDifferences(int numParameters, int[] shape)
    {
        var layer = new PReLU(numParameters);
        var rng = new Rng(5);
        foreach (ref float a in layer.WeightParameter.Value.Span) a = rng.NextUniform(0.05f, 0.6f);
        var x = GradientCheck.Random(new Rng(8), shape, -2f, 2f);
        foreach (ref float v in x.Span) if (MathF.Abs(v) < 0.05f) v = -0.4f; // keep away from the kink
        GradientCheck.Check(layer, x, rtol: 1e-2, atol: 1e-3, h: 1e-3);
    }

    [Fact]
    public void DefaultsAndStateDictFollowPyTorch()
    {
        var shared = new PReLU();
        Assert.Equal(1, shared.NumParameters);
        var state = new PReLU(4).StateDict();
        Assert.Equal(["weight"], state.Keys);
        Assert.Equal([4], state["weight"].Shape);
        Assert.All(state["weight"].ToArray(), a => Assert.Equal(0.25f, a));
        var y = shared.Forward(Tensor.FromArray([2f, -2f, 0f], 3));
        Assert.Equal([2f, -0.5f, 0f], y.ToArray());
    }

    [Fact]
    public void SlopesArePerChannelOnDimensionOne()
    {
        var layer = new PReLU(2);
        layer.WeightParameter.Value.CopyFrom(Tensor.FromArray([0.1f, 0.5f], 2));
        // [N=1, C=2, L=2]: channel 0 gets 0.1, channel 1 gets 0.5.
        var y = layer.Forward(Tensor.FromArray([-1f, -2f, -1f, 3f], 1, 2, 2));
        Assert.Equal([-0.1f, -0.2f, -0.5f, 3f], y.ToArray());
    }

    [Fact]
    public void WrongChannelCountIsAClearError()
    {
        var layer = new PReLU(3);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(new Tensor(2, 4)));
        Assert.Contains("[N, 3", e.Message);
        Assert.Throws<ArgumentException>(() => layer.OutputShape([2, 4, 5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PReLU(0));
    }

    [Fact]
    public void FrozenSlopesGetNoGradient()
    {
        var layer = new PReLU(2);
        layer.WeightParameter.RequiresGrad = false;
        var x = Tensor.FromArray([-1f, -1f, -1f, -1f], 2, 2);
        layer.Forward(x);
        layer.Backward(Tensor.Full(1f, 2, 2));
        Assert.All(layer.WeightParameter.Grad.ToArray(), g => Assert.Equal(0f, g));
    }
}

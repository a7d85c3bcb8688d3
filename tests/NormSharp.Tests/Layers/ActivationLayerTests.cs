using NormSharp.Layers;

namespace NormSharp.Tests.Layers;

/// <summary>Every element-wise activation layer: finite-difference gradients, shapes, skipped input gradient.</summary>
public class ActivationLayerTests
{
    public static TheoryData<string> Names() => new("relu", "leaky", "elu", "selu", "sigmoid", "tanh");

    internal static Module Create(string name) => name switch
    {
        "relu" => new ReLU(),
        "leaky" => new LeakyReLU(0.1f),
        "elu" => new ELU(0.7f),
        "selu" => new SELU(),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardMatchesFiniteDifferences(string name)
    {
        // Inputs kept away from ReLU's kink at 0, where finite differences are meaningless.
        var x = GradientCheck.Random(new Rng(21), [3, 4, 5], -2f, 2f);
        foreach (ref float v in x.Span) if (MathF.Abs(v) < 0.05f) v = 0.3f;
        GradientCheck.Check(Create(name), x, rtol: 1e-2, atol: 1e-3, h: 1e-3);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void KeepsTheShapeAndReusesItsBuffers(string name)
    {
        var layer = Create(name);
        var x = GradientCheck.Random(new Rng(2), [2, 3, 4, 4]);
        var y1 = layer.Forward(x);
        Assert.Equal(x.Shape, y1.Shape);
        Assert.Equal(x.Shape, layer.OutputShape(x.Shape));
        var y2 = layer.Forward(x);
        Assert.Same(y1, y2);
        layer.NeedsInputGradient = false;
        Assert.Equal(0, layer.Backward(y2).Size);
        Assert.Throws<ArgumentException>(() => layer.Backward(new Tensor(2, 3)));
    }

    [Fact]
    public void SeluUsesPyTorchConstants()
    {
        var y = new SELU().Forward(Tensor.FromArray([1f, -1f], 2));
        Assert.Equal(1.0507009873554805f, y[0], 1e-6f);
        Assert.Equal(1.0507009873554805f * 1.6732632423543772f * (MathF.Exp(-1f) - 1f), y[1], 1e-6f);
    }
}

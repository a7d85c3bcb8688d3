using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>Finite-difference checks of BN's backward in training mode (gradient through the batch
/// mean and variance) and in eval mode, affine on and off.</summary>
public class BatchNormGradientTests
{
    [Theory]
    [InlineData(new[] { 6, 4 }, true)]
    [InlineData(new[] { 6, 4 }, false)]
    [InlineData(new[] { 3, 2, 5 }, true)]
    [InlineData(new[] { 3, 2, 5 }, false)]
    [InlineData(new[] { 2, 3, 3, 4 }, true)]
    [InlineData(new[] { 2, 3, 3, 4 }, false)]
    public void TrainModeGradientsMatchFiniteDifferences(int[] shape, bool affine)
    {
        Module bn = shape.Length == 4 ? new BatchNorm2d(shape[1], affine: affine) : new BatchNorm1d(shape[1], affine: affine);
        RandomiseAffine(bn);
        var x = GradientCheck.Random(new Rng(5), shape, -2f, 2f);
        GradientCheck.Check(bn, x, h: 1e-2);
    }

    [Theory]
    [InlineData(new[] { 6, 4 })]
    [InlineData(new[] { 2, 3, 3, 4 })]
    public void EvalModeGradientsMatchFiniteDifferences(int[] shape)
    {
        var bn = shape.Length == 4 ? (BatchNormBase)new BatchNorm2d(shape[1]) : new BatchNorm1d(shape[1]);
        RandomiseAffine(bn);
        bn.RunningVar!.Fill(0.7f);
        bn.RunningMean!.Fill(0.2f);
        bn.Eval();
        GradientCheck.Check(bn, GradientCheck.Random(new Rng(6), shape, -2f, 2f));
    }

    internal static void RandomiseAffine(Module module)
    {
        var rng = new Rng(99);
        foreach (var (name, p) in module.NamedParameters())
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (name.EndsWith("weight") ? 1f : 0f) + rng.NextUniform(-0.5f, 0.5f);
        }
    }
}

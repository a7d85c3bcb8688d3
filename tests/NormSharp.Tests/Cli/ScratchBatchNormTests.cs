using NormSharp.Cli.Experiments;
using NormSharp.Layers;

namespace NormSharp.Tests.Cli;

/// <summary>The lenet experiment's from-scratch BN must compute what the fused <see cref="BatchNorm2d"/> computes.</summary>
public sealed class ScratchBatchNormTests
{
    [Theory]
    [InlineData(4, 3, 5, 5)]
    [InlineData(7, 6, 1, 3)]
    public void TrainingForwardAndBackward_MatchFusedBatchNorm2d(int n, int c, int h, int w)
    {
        var rng = new Rng(7);
        var x = new Tensor(n, c, h, w);
        foreach (ref float v in x.Span) v = rng.NextGaussian(1f, 2f);
        var dy = new Tensor(n, c, h, w);
        foreach (ref float v in dy.Span) v = rng.NextGaussian();
        var scratch = new ScratchBatchNorm(c);
        var fused = new BatchNorm2d(c);

        var yScratch = scratch.Forward(x).ToArray();
        var yFused = fused.Forward(x).ToArray();
        var dxScratch = scratch.Backward(dy).ToArray();
        var dxFused = fused.Backward(dy).ToArray();

        for (int i = 0; i < yScratch.Length; i++)
        {
            Assert.Equal(yFused[i], yScratch[i], 1e-4f);
            Assert.Equal(dxFused[i], dxScratch[i], 1e-4f);
        }
        var fusedGrads = fused.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad.ToArray());
        var scratchGrads = scratch.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad.ToArray());
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(fusedGrads["weight"][i], scratchGrads["gamma"][i], 1e-3f);
            Assert.Equal(fusedGrads["bias"][i], scratchGrads["beta"][i], 1e-3f);
        }
    }

    [Fact]
    public void Eval_UsesMovingAveragesWithD2lMomentum()
    {
        var scratch = new ScratchBatchNorm(1);
        var x = Tensor.FromArray([1f, 3f], 2, 1);
        scratch.Forward(x); // batch mean 2, biased variance 1
        scratch.Eval();
        var y = scratch.Forward(Tensor.FromArray([2f], 1, 1));
        // moving_mean = 0.9·0 + 0.1·2 = 0.2, moving_var = 0.9·1 + 0.1·1 = 1.
        Assert.Equal((2f - 0.2f) / MathF.Sqrt(1f + 1e-5f), y[0], 1e-5f);
    }
}

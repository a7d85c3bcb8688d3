using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>Finite-difference checks for every member of the family, in training mode (and eval mode
/// where it differs).</summary>
public class NormalizationFamilyGradientTests
{
    public static TheoryData<string> Layers() => new()
    {
        "layernorm", "layernorm-2d", "layernorm-no-affine", "groupnorm", "groupnorm-1d", "groupnorm-no-affine",
        "instancenorm1d", "instancenorm2d-affine", "renorm1d", "renorm2d", "ghost1d", "ghost2d", "ghost1d-ncl",
    };

    private static (Module Layer, int[] Shape) Create(string name) => name switch
    {
        "layernorm" => (new LayerNorm([5]), [4, 5]),
        "layernorm-2d" => (new LayerNorm([3, 4]), [2, 3, 4]),
        "layernorm-no-affine" => (new LayerNorm([6], elementwiseAffine: false), [3, 6]),
        "groupnorm" => (new GroupNorm(2, 4), [2, 4, 3, 3]),
        "groupnorm-1d" => (new GroupNorm(3, 6), [2, 6, 2]),
        "groupnorm-no-affine" => (new GroupNorm(1, 3, affine: false), [2, 3, 4]),
        "instancenorm1d" => (new InstanceNorm1d(3), [2, 3, 5]),
        "instancenorm2d-affine" => (new InstanceNorm2d(2, affine: true, trackRunningStats: true), [2, 2, 3, 3]),
        // Renorm: finite differences see r and d move with x, while the paper's backward treats them as
        // constants, so the check runs where both sit on their clipping limits (locally constant).
        // BatchNormVariantTests covers the unclipped case against BN with γ·r.
        "renorm1d" => (new BatchRenorm1d(4, rMax: 1.5f, dMax: 0.2f), [6, 4]),
        "renorm2d" => (new BatchRenorm2d(3, rMax: 2f, dMax: 0.5f), [2, 3, 3, 3]),
        "ghost1d" => (new GhostBatchNorm1d(3, virtualBatchSize: 3), [9, 3]),
        "ghost2d" => (new GhostBatchNorm2d(2, virtualBatchSize: 2), [4, 2, 2, 3]),
        "ghost1d-ncl" => (new GhostBatchNorm1d(2, virtualBatchSize: 1), [3, 2, 4]),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void TrainModeGradientsMatchFiniteDifferences(string name)
    {
        var (layer, shape) = Create(name);
        BatchNormGradientTests.RandomiseAffine(layer);
        var x = GradientCheck.Random(new Rng(17), shape, -2f, 2f);
        if (layer is BatchRenormBase renorm)
        {
            // Moving averages far from any batch (σ_B/σ ≫ rMax, |μ_B − μ|/σ ≫ dMax) so that r = rMax and
            // d = −dMax; restored before every forward pass because each one updates them.
            renorm.RenormMean.Fill(5f);
            renorm.RenormStd.Fill(0.1f);
            var savedMean = renorm.RenormMean.ToArray();
            var savedStd = renorm.RenormStd.ToArray();
            GradientCheck.Check(layer, x, beforeForward: () =>
            {
                savedMean.CopyTo(renorm.RenormMean.Span);
                savedStd.CopyTo(renorm.RenormStd.Span);
            });
            return;
        }
        GradientCheck.Check(layer, x);
    }

    [Theory]
    [InlineData("instancenorm2d-affine")]
    [InlineData("renorm1d")]
    [InlineData("ghost2d")]
    public void EvalModeGradientsMatchFiniteDifferences(string name)
    {
        var (layer, shape) = Create(name);
        BatchNormGradientTests.RandomiseAffine(layer);
        layer.Forward(GradientCheck.Random(new Rng(3), shape, -1f, 3f)); // some running statistics
        layer.Eval();
        GradientCheck.Check(layer, GradientCheck.Random(new Rng(18), shape, -2f, 2f));
    }
}

using NormSharp.Layers;
using NormSharp.Models;

namespace NormSharp.Tests.Initialization;

/// <summary>
/// Initialisers: fans and gains as <c>torch.nn.init</c>, and the moments and ranges of what they draw with
/// fixed seeds. Sample sizes ≥ 60 000, so the empirical std is within ~1% of the target (bounds ~3%).
/// </summary>
public class InitializerTests
{
    [Fact]
    public void FansFollowPyTorchLayouts()
    {
        Assert.Equal((784, 500), Initializers.Fans(new Tensor(500, 784)));
        Assert.Equal((6 * 25, 16 * 25), Initializers.Fans(new Tensor(16, 6, 5, 5)));
        Assert.Equal("tensor", Assert.Throws<ArgumentException>(() => Initializers.Fans(new Tensor(10))).ParamName);
    }

    [Fact]
    public void GainsMatchCalculateGain()
    {
        Assert.Equal(1f, Initializers.CalculateGain("linear"));
        Assert.Equal(1f, Initializers.CalculateGain("sigmoid"));
        Assert.Equal(1f, Initializers.CalculateGain("conv2d"));
        Assert.Equal(5f / 3f, Initializers.CalculateGain("tanh"));
        Assert.Equal(MathF.Sqrt(2f), Initializers.CalculateGain("relu"));
        Assert.Equal(MathF.Sqrt(2f / (1f + 0.01f * 0.01f)), Initializers.CalculateGain("leaky_relu"));
        Assert.Equal(MathF.Sqrt(2f / 1.04f), Initializers.CalculateGain("leaky_relu", 0.2f));
        Assert.Equal(0.75f, Initializers.CalculateGain("selu"));
        Assert.Contains("relu", Assert.Throws<ArgumentException>(() => Initializers.CalculateGain("swish")).Message);
    }

    public static TheoryData<string, double, double> Cases() => new()
    {
        // name, expected std, expected max |w| (∞ for normals without truncation)
        { "xavier_uniform", Math.Sqrt(2.0 / (300 + 200)), Math.Sqrt(6.0 / (300 + 200)) },
        { "xavier_normal", Math.Sqrt(2.0 / (300 + 200)), double.PositiveInfinity },
        { "kaiming_uniform_relu", Math.Sqrt(2.0 / 300), Math.Sqrt(6.0 / 300) },
        { "kaiming_normal_relu", Math.Sqrt(2.0 / 300), double.PositiveInfinity },
        { "kaiming_normal_fan_out_tanh", 5.0 / 3 / Math.Sqrt(200), double.PositiveInfinity },
        { "lecun_uniform", Math.Sqrt(1.0 / 300), Math.Sqrt(3.0 / 300) },
        { "lecun_normal", Math.Sqrt(1.0 / 300), 2 * Math.Sqrt(1.0 / 300) / Initializers.TruncatedNormalStdCorrection },
        { "variance_scaling_fan_avg_untruncated", Math.Sqrt(2.0 / 250), double.PositiveInfinity },
        { "pytorch_default", 1 / Math.Sqrt(300) / Math.Sqrt(3), 1 / Math.Sqrt(300) },
        { "normal", 0.3, double.PositiveInfinity },
        { "uniform", 0.4 / Math.Sqrt(3), 0.4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DrawsHaveTheTargetMomentsAndRange(string name, double expectedStd, double bound)
    {
        var w = new Tensor(200, 300); // fan_in 300, fan_out 200
        var rng = new Rng(2024);
        switch (name)
        {
            case "xavier_uniform": Initializers.XavierUniform(w, rng: rng); break;
            case "xavier_normal": Initializers.XavierNormal(w, rng: rng); break;
            case "kaiming_uniform_relu": Initializers.KaimingUniform(w, nonlinearity: "relu", rng: rng); break;
            case "kaiming_normal_relu": Initializers.KaimingNormal(w, nonlinearity: "relu", rng: rng); break;
            case "kaiming_normal_fan_out_tanh": Initializers.KaimingNormal(w, mode: FanMode.FanOut, nonlinearity: "tanh", rng: rng); break;
            case "lecun_uniform": Initializers.LeCunUniform(w, rng); break;
            case "lecun_normal": Initializers.LeCunNormal(w, rng); break;
            case "variance_scaling_fan_avg_untruncated":
                Initializers.VarianceScaling(w, 2f, FanMode.FanAvg, VarianceDistribution.UntruncatedNormal, rng); break;
            case "pytorch_default": Initializers.PyTorchDefault(w, null, rng); break;
            case "normal": Initializers.Normal(w, 0f, 0.3f, rng); break;
            case "uniform": Initializers.Uniform(w, -0.4f, 0.4f, rng); break;
            default: throw new ArgumentException(name);
        }
        var (mean, std, max) = Moments(w);
        Assert.InRange(mean, -0.03 * expectedStd, 0.03 * expectedStd);
        Assert.InRange(std, 0.97 * expectedStd, 1.03 * expectedStd);
        if (double.IsFinite(bound))
        {
            Assert.True(max <= bound * (1 + 1e-6), $"max |w| {max} exceeds {bound}");
            Assert.True(max >= 0.98 * bound, $"max |w| {max} does not reach the bound {bound}");
        }
        else Assert.True(max > 3.5 * expectedStd, "an untruncated normal of 60 000 draws reaches beyond 3.5σ");
    }

    [Fact]
    public void TruncatedNormalStaysInItsBoundsAndConstantsFill()
    {
        var w = Initializers.TruncatedNormal(new Tensor(50_000), 1f, 2f, 0f, 3f, new Rng(1));
        Assert.All(w.ToArray(), v => Assert.InRange(v, 0f, 3f));
        Assert.All(Initializers.Constant(new Tensor(3, 3), 0.7f).ToArray(), v => Assert.Equal(0.7f, v));
        Assert.All(Initializers.Zeros(Tensor.Full(5f, 4)).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = Initializers.KaimingNormal(new Tensor(10, 20), rng: new Rng(5)).ToArray();
        var b = Initializers.KaimingNormal(new Tensor(10, 20), rng: new Rng(5)).ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void PyTorchDefaultReproducesTheLayersOwnInitialisation()
    {
        var dense = new Dense(30, 20, rng: new Rng(8));
        var w = new Tensor(20, 30);
        var b = new Tensor(20);
        Initializers.PyTorchDefault(w, b, new Rng(8));
        Kernels.Approx.Equal(dense.WeightParameter.Value.ToArray(), w.ToArray(), "weight", 1e-5f, 0f);
        Kernels.Approx.Equal(dense.BiasParameter!.Value.ToArray(), b.ToArray(), "bias", 1e-5f, 0f);
    }

    [Fact]
    public void ModelOptionsWeightInitReinitialisesDenseAndConvAndZeroesBiases()
    {
        var options = new ModelOptions { WeightInit = Initializer.Parse("he_normal"), Rng = new Rng(3), Normalization = NormalizationKind.BatchNorm };
        var model = ModelZoo.LeNet(10, options with { Activation = "relu" });
        int biases = 0;
        foreach (var (_, module) in model.NamedModules())
        {
            var bias = module switch { Dense d => d.BiasParameter, Conv2d c => c.BiasParameter, _ => null };
            if (bias is null) continue;
            biases++;
            Assert.All(bias.Value.ToArray(), v => Assert.Equal(0f, v));
        }
        Assert.Equal(1, biases); // with BN only the output layer keeps a bias
        var conv = (Conv2d)model[0];
        var (_, std, _) = Moments(conv.WeightParameter.Value);
        Assert.InRange(std, 0.8 * Math.Sqrt(2.0 / 25), 1.2 * Math.Sqrt(2.0 / 25)); // He: √(2/fan_in), fan_in = 1·5·5
        var bn = (BatchNorm2d)model[1];
        Assert.All(bn.WeightParameter!.Value.ToArray(), v => Assert.Equal(1f, v)); // BN's γ untouched

        // Without WeightInit the builders keep PyTorch's default (same weights as before the option existed).
        var plain = ModelZoo.Mlp(4, [3], 2, new ModelOptions { Rng = new Rng(9) });
        var reference = new Dense(4, 3, rng: new Rng(9));
        Assert.Equal(reference.WeightParameter.Value.ToArray(), ((Dense)plain[0]).WeightParameter.Value.ToArray());
        Assert.Contains("he_normal", Assert.Throws<ArgumentException>(() => Initializer.Parse("nope")).Message);
    }

    private static (double Mean, double Std, double MaxAbs) Moments(Tensor t)
    {
        var s = t.Span;
        double sum = 0, sq = 0, max = 0;
        foreach (float v in s) { sum += v; max = Math.Max(max, Math.Abs(v)); }
        double mean = sum / s.Length;
        foreach (float v in s) sq += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(sq / s.Length), max);
    }
}

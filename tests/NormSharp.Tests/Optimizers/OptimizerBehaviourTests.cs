using NormSharp.Layers;
using NormSharp.Optimizers;
using NormSharp.Tests.Layers;

namespace NormSharp.Tests.Optimizers;

public class OptimizerBehaviourTests
{
    private static Parameter[] MakeParameters(ulong seed)
    {
        var rng = new Rng(seed);
        var ps = new[] { new Parameter(new Tensor(3, 7)), new Parameter(new Tensor(19)) };
        foreach (var p in ps)
            for (int i = 0; i < p.Value.Size; i++) p.Value[i] = rng.NextGaussian();
        return ps;
    }

    private static void FillGrads(Parameter[] ps, Rng rng)
    {
        foreach (var p in ps)
            for (int i = 0; i < p.Grad.Size; i++) p.Grad[i] = rng.NextGaussian();
    }

    public static TheoryData<string> Kinds() => new() { "sgd", "adam", "adamw", "rmsprop" };

    private static Optimizer Create(string kind, Parameter[] ps) => kind switch
    {
        "sgd" => new Sgd(ps, 0.1f, momentum: 0.9f, nesterov: true),
        "adam" => new Adam(ps, 0.01f),
        "adamw" => new AdamW(ps, 0.01f),
        _ => new RmsProp(ps, 0.01f, momentum: 0.3f, centered: true),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StateDictRoundTripContinuesIdentically(string kind)
    {
        var a = MakeParameters(5);
        var b = MakeParameters(5);
        var optA = Create(kind, a);
        var rng = new Rng(9);
        for (int s = 0; s < 3; s++) { FillGrads(a, rng); optA.Step(); }
        for (int i = 0; i < a.Length; i++) b[i].Value.CopyFrom(a[i].Value);
        var optB = Create(kind, b);
        var saved = optA.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        optB.LoadStateDict(saved);
        Assert.Equal(3, optB.StepCount);
        var rngA = new Rng(11);
        var rngB = new Rng(11);
        for (int s = 0; s < 3; s++)
        {
            FillGrads(a, rngA); optA.Step();
            FillGrads(b, rngB); optB.Step();
        }
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Value.ToArray(), b[i].Value.ToArray());
    }

    [Fact]
    public void StateDictUsesPyTorchLikeKeys()
    {
        var opt = new Adam(MakeParameters(1));
        var keys = opt.StateDict().Keys.ToArray();
        Assert.Equal(["step", "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq"], keys);
        var bad = opt.StateDict().Where(kv => kv.Key != "state.1.exp_avg").ToDictionary(kv => kv.Key, kv => kv.Value);
        var e = Assert.Throws<ArgumentException>(() => opt.LoadStateDict(bad));
        Assert.Contains("state.1.exp_avg", e.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FrozenParametersAreSkipped(string kind)
    {
        var ps = MakeParameters(2);
        ps[1].RequiresGrad = false;
        var before = ps[1].Value.ToArray();
        var opt = Create(kind, ps);
        FillGrads(ps, new Rng(3));
        opt.Step();
        Assert.Equal(before, ps[1].Value.ToArray());
        Assert.Equal(0f, opt.StateDict()["state.1.step"][0]);
        Assert.Equal(1f, opt.StateDict()["state.0.step"][0]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StepAllocatesNothing(string kind)
    {
        var ps = MakeParameters(4);
        var opt = Create(kind, ps);
        FillGrads(ps, new Rng(1));
        opt.Step();
        opt.ZeroGrad();
        Assert.Equal(0, AllocationProbe.LeastThreadBytes(() =>
        {
            for (int i = 0; i < 10; i++) { opt.Step(); opt.ZeroGrad(); }
        }));
        Assert.All(ps, p => Assert.All(p.Grad.ToArray(), g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void InvalidHyperparametersAreRejectedWithTheirNames()
    {
        var ps = MakeParameters(1);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd(ps, 0.1f, nesterov: true)).Message);
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(ps, beta1: 1f)).ParamName);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(ps, lr: -1f)).ParamName);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new Sgd([], 0.1f)).Message);
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new Sgd([ps[0], ps[0]], 0.1f)).Message);
    }

    [Fact]
    public void ClipByValueClampsEveryElement()
    {
        var ps = MakeParameters(3);
        FillGrads(ps, new Rng(4));
        foreach (var p in ps) p.Grad[0] = 5f;
        GradientClipping.ClipByValue(ps, 0.5f);
        foreach (var p in ps)
        {
            Assert.Equal(0.5f, p.Grad[0]);
            Assert.All(p.Grad.ToArray(), g => Assert.InRange(g, -0.5f, 0.5f));
        }
    }

    [Fact]
    public void ClipByGlobalNormLeavesSmallGradientsAndScalesLargeOnes()
    {
        var ps = MakeParameters(3);
        foreach (var p in ps) p.Grad.Fill(0.01f);
        var small = ps.Select(p => p.Grad.ToArray()).ToArray();
        float norm = GradientClipping.ClipByGlobalNorm(ps, 10f);
        Assert.Equal(MathF.Sqrt(40 * 0.0001f), norm, 1e-6f);
        for (int i = 0; i < ps.Length; i++) Assert.Equal(small[i], ps[i].Grad.ToArray());

        foreach (var p in ps) p.Grad.Fill(3f); // norm = 3·√40
        float big = GradientClipping.ClipByGlobalNorm(ps, 1f);
        Assert.Equal(3 * MathF.Sqrt(40), big, 1e-4f);
        double after = Math.Sqrt(ps.Sum(p => p.Grad.ToArray().Sum(g => (double)g * g)));
        Assert.Equal(1.0, after, 1e-5);
    }
}

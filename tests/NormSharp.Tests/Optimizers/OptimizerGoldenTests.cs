using System.Text.Json;
using NormSharp.Layers;
using NormSharp.Optimizers;

namespace NormSharp.Tests.Optimizers;

/// <summary>Every optimizer against PyTorch 1.13 on the same initial values and gradients, five steps.</summary>
public class OptimizerGoldenTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Golden.Root.GetProperty("optimizers").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchStepByStep(string name)
    {
        var c = Golden.Root.GetProperty("optimizers").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(Golden.Ints).ToArray();
        var initial = c.GetProperty("initial").EnumerateArray().ToArray();
        var parameters = new Parameter[shapes.Length];
        for (int i = 0; i < shapes.Length; i++) parameters[i] = new Parameter(Tensor.FromArray(Golden.Floats(initial[i]), shapes[i]));
        var optimizer = Create(c.GetProperty("type").GetString()!, c.GetProperty("args"), parameters);

        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var expected = c.GetProperty("expected").EnumerateArray().ToArray();
        for (int step = 0; step < grads.Length; step++)
        {
            var stepGrads = grads[step].EnumerateArray().ToArray();
            var stepExpected = expected[step].EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++) Golden.Floats(stepGrads[i]).CopyTo(parameters[i].Grad.Span);
            optimizer.Step();
            for (int i = 0; i < parameters.Length; i++)
                Golden.AssertClose(Golden.Floats(stepExpected[i]), parameters[i].Value.Span, 1e-6, 1e-7, $"{name} step {step + 1} param {i}");
        }
        Assert.Equal(grads.Length, optimizer.StepCount);
    }

    private static Optimizer Create(string type, JsonElement a, Parameter[] p) => type switch
    {
        "sgd" => new Sgd(p, Golden.Arg(a, "lr", 0), Golden.Arg(a, "momentum", 0), Golden.Arg(a, "dampening", 0),
            Golden.Arg(a, "weight_decay", 0), Golden.Flag(a, "nesterov")),
        "adam" => new Adam(p, Golden.Arg(a, "lr", 1e-3f), Golden.Arg(a, "beta1", 0.9f), Golden.Arg(a, "beta2", 0.999f),
            Golden.Arg(a, "eps", 1e-8f), Golden.Arg(a, "weight_decay", 0)),
        "adamw" => new AdamW(p, Golden.Arg(a, "lr", 1e-3f), Golden.Arg(a, "beta1", 0.9f), Golden.Arg(a, "beta2", 0.999f),
            Golden.Arg(a, "eps", 1e-8f), Golden.Arg(a, "weight_decay", 0.01f)),
        "rmsprop" => new RmsProp(p, Golden.Arg(a, "lr", 1e-2f), Golden.Arg(a, "alpha", 0.99f), Golden.Arg(a, "eps", 1e-8f),
            Golden.Arg(a, "momentum", 0), Golden.Arg(a, "weight_decay", 0), Golden.Flag(a, "centered")),
        _ => throw new ArgumentException($"unknown optimizer type '{type}' in the golden file"),
    };

    [Fact]
    public void SchedulesMatchPyTorch()
    {
        foreach (var c in Golden.Root.GetProperty("schedulers").EnumerateArray())
        {
            var optimizer = new Sgd([new Parameter(new Tensor(1))], (float)c.GetProperty("base_lr").GetDouble());
            var args = c.GetProperty("args");
            LearningRateScheduler scheduler = c.GetProperty("type").GetString() == "step"
                ? new StepLR(optimizer, args.GetProperty("step_size").GetInt32(), Golden.Arg(args, "gamma", 0.1f))
                : new ExponentialLR(optimizer, Golden.Arg(args, "gamma", 0));
            var expected = Golden.Floats(c.GetProperty("lrs"));
            var actual = new float[expected.Length];
            for (int epoch = 0; epoch < expected.Length; epoch++)
            {
                optimizer.Step();
                scheduler.Step();
                actual[epoch] = optimizer.LearningRate;
            }
            Golden.AssertClose(expected, actual, 1e-6, 0, c.GetProperty("type").GetString()!);
            Assert.Equal(expected.Length, scheduler.LastEpoch);
        }
    }

    [Fact]
    public void GlobalNormClippingMatchesPyTorch()
    {
        foreach (var c in Golden.Root.GetProperty("clip").EnumerateArray())
        {
            var shapes = c.GetProperty("shapes").EnumerateArray().Select(Golden.Ints).ToArray();
            var grads = c.GetProperty("grads").EnumerateArray().ToArray();
            var clipped = c.GetProperty("clipped").EnumerateArray().ToArray();
            var parameters = new Parameter[shapes.Length];
            for (int i = 0; i < shapes.Length; i++)
            {
                parameters[i] = new Parameter(new Tensor(shapes[i]));
                Golden.Floats(grads[i]).CopyTo(parameters[i].Grad.Span);
            }
            float total = GradientClipping.ClipByGlobalNorm(parameters, (float)c.GetProperty("max_norm").GetDouble());
            Assert.Equal(c.GetProperty("total_norm").GetDouble(), total, 1e-5);
            for (int i = 0; i < shapes.Length; i++)
                Golden.AssertClose(Golden.Floats(clipped[i]), parameters[i].Grad.Span, 1e-6, 1e-7, $"clipped grad {i}");
        }
    }
}

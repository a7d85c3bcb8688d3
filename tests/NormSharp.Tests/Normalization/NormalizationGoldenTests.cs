using System.Runtime.CompilerServices;
using System.Text.Json;
using NormSharp.Layers;

namespace NormSharp.Tests.Normalization;

/// <summary>
/// Every normalization layer against PyTorch 1.13 (golden/normalization.json, written by
/// golden/make_golden.py): outputs, input and parameter gradients and running statistics over three
/// training steps, then an eval-mode forward and backward. Tolerance rtol 5e-4, atol 1e-6 (tinygrad's
/// float32 tolerance, shared/STYLE.md).
/// </summary>
public class NormalizationGoldenTests
{
    private const double Rtol = 5e-4, Atol = 1e-6;

    private static readonly Lazy<JsonDocument> s_document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(), "golden", "normalization.json"))));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_document.Value.RootElement.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var c = s_document.Value.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var shape = c.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var layer = Create(c.GetProperty("type").GetString()!, c.GetProperty("args"));
        var parameters = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var p in c.GetProperty("initial").EnumerateObject()) Floats(p.Value).CopyTo(parameters[p.Name].Value.Span);
        Assert.Equal(c.GetProperty("initial").EnumerateObject().Count(), parameters.Count);

        int step = 0;
        foreach (var s in c.GetProperty("steps").EnumerateArray())
        {
            step++;
            RunAndCompare(layer, shape, s, $"{name} step {step}");
            var state = layer.StateDict();
            foreach (var key in new[] { "running_mean", "running_var", "num_batches_tracked" })
            {
                Assert.Equal(s.TryGetProperty(key, out var expected), state.ContainsKey(key));
                if (state.TryGetValue(key, out var actual)) AssertClose(Floats(expected), actual.Span, $"{name} step {step} {key}");
            }
        }
        layer.Eval();
        RunAndCompare(layer, shape, c.GetProperty("eval"), $"{name} eval");
    }

    private static void RunAndCompare(Module layer, int[] shape, JsonElement s, string what)
    {
        var y = layer.Forward(Tensor.FromArray(Floats(s.GetProperty("x")), shape));
        AssertClose(Floats(s.GetProperty("y")), y.Span, what + " y");
        layer.ZeroGrad();
        var dx = layer.Backward(Tensor.FromArray(Floats(s.GetProperty("dy")), shape));
        AssertClose(Floats(s.GetProperty("dx")), dx.Span, what + " dx");
        foreach (var (name, p) in layer.NamedParameters())
            AssertClose(Floats(s.GetProperty("d" + name)), p.Grad.Span, what + " d" + name);
    }

    private static Module Create(string type, JsonElement a)
    {
        float eps = a.TryGetProperty("eps", out var e) ? (float)e.GetDouble() : 1e-5f;
        float? momentum = !a.TryGetProperty("momentum", out var m) ? 0.1f : m.ValueKind == JsonValueKind.Null ? null : (float)m.GetDouble();
        bool Flag(string key, bool fallback) => a.TryGetProperty(key, out var v) ? v.GetBoolean() : fallback;
        int Int(string key) => a.GetProperty(key).GetInt32();
        return type switch
        {
            "BatchNorm1d" => new BatchNorm1d(Int("num_features"), eps, momentum, Flag("affine", true), Flag("track_running_stats", true)),
            "BatchNorm2d" => new BatchNorm2d(Int("num_features"), eps, momentum, Flag("affine", true), Flag("track_running_stats", true)),
            "LayerNorm" => new LayerNorm(a.GetProperty("normalized_shape").EnumerateArray().Select(v => v.GetInt32()).ToArray(), eps,
                Flag("elementwise_affine", true)),
            "GroupNorm" => new GroupNorm(Int("num_groups"), Int("num_channels"), eps, Flag("affine", true)),
            "InstanceNorm1d" => new InstanceNorm1d(Int("num_features"), eps, momentum, Flag("affine", false), Flag("track_running_stats", false)),
            "InstanceNorm2d" => new InstanceNorm2d(Int("num_features"), eps, momentum, Flag("affine", false), Flag("track_running_stats", false)),
            _ => throw new ArgumentException($"unknown layer type '{type}' in the golden file"),
        };
    }

    private static float[] Floats(JsonElement array)
    {
        var result = new float[array.GetArrayLength()];
        int i = 0;
        foreach (var v in array.EnumerateArray()) result[i++] = (float)v.GetDouble();
        return result;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (!(diff <= Rtol * Math.Abs(expected[i]) + Atol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {diff:E2})");
        }
    }

    private static string Folder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}

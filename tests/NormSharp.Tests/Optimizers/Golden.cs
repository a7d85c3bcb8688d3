using System.Runtime.CompilerServices;
using System.Text.Json;

namespace NormSharp.Tests.Optimizers;

/// <summary>Reads golden/optimizers.json, written by golden/make_golden.py from PyTorch 1.13.</summary>
internal static class Golden
{
    private static readonly Lazy<JsonDocument> s_document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(), "golden", "optimizers.json"))));

    public static JsonElement Root => s_document.Value.RootElement;

    public static float[] Floats(JsonElement array)
    {
        var result = new float[array.GetArrayLength()];
        int i = 0;
        foreach (var v in array.EnumerateArray()) result[i++] = (float)v.GetDouble();
        return result;
    }

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public static float Arg(JsonElement args, string name, float fallback) =>
        args.TryGetProperty(name, out var v) ? (float)v.GetDouble() : fallback;

    public static bool Flag(JsonElement args, string name) =>
        args.TryGetProperty(name, out var v) && v.GetBoolean();

    /// <summary>Asserts |actual − expected| ≤ rtol·|expected| + atol element-wise, naming the first offender.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (!(diff <= rtol * Math.Abs(expected[i]) + atol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {diff:E2})");
        }
    }

    private static string Folder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}

using System.Text.Json;

namespace NormSharp.Serialization;

/// <summary>
/// Bounds what an architecture JSON may make <see cref="ArchitectureJson.Deserialize"/> allocate, checked
/// on the JSON before any layer is constructed: a hostile or mistyped file ("inFeatures": 999999999) fails
/// with an <see cref="InvalidDataException"/> instead of an out-of-memory.
/// </summary>
/// <remarks>
/// The estimate of a layer is the product of its integer arguments greater than 1, with every argument
/// whose name contains "kernel" counted squared (square kernels): Dense(in, out) → in·out, Conv2d(in,
/// out, k, stride, padding) → in·out·k²·stride·padding ≥ its weight count, BatchNorm(n) → n. It bounds
/// every layer of the engine's allocation from above (buffers are a small multiple of the weights), and
/// the model's estimate is the sum over its layers.
/// </remarks>
internal static class ArchitectureBudget
{
    /// <summary>Largest accepted estimate of a whole model, in float elements: 2^27 = 512 MiB of weights (and as much again for their gradients).</summary>
    public const double MaxElements = 1 << 27;

    /// <summary>Most layer objects one document may hold.</summary>
    public const int MaxLayers = 100_000;

    public static void Check(JsonElement model)
    {
        int layers = 0;
        double total = Estimate(model, ref layers);
        if (layers > MaxLayers)
            throw new InvalidDataException($"architecture JSON describes {layers} layers, more than the limit of {MaxLayers}");
        if (total > MaxElements)
            throw new InvalidDataException(
                $"architecture JSON describes about {total:G3} weight elements, more than the limit of {MaxElements:G3} (a size argument is too large)");
    }

    private static double Estimate(JsonElement node, ref int layers)
    {
        if (node.ValueKind != JsonValueKind.Object) return 0;
        layers++;
        if (layers > MaxLayers) return 0;
        double own = 1, children = 0;
        if (node.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object)
            foreach (var arg in args.EnumerateObject())
                Accumulate(arg.Name.Contains("kernel", StringComparison.OrdinalIgnoreCase), arg.Value, ref own, ref children, ref layers);
        return own + children;
    }

    private static void Accumulate(bool kernel, JsonElement value, ref double own, ref double children, ref int layers)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                if (value.TryGetDouble(out double v) && v > 1 && v == Math.Floor(v)) own *= kernel ? v * v : v;
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray()) Accumulate(kernel, item, ref own, ref children, ref layers);
                break;
            case JsonValueKind.Object:
                children += Estimate(value, ref layers);
                break;
        }
    }
}

using System.Globalization;
using System.Text;
using NormSharp.Layers;

namespace NormSharp.Training;

/// <summary>
/// A Keras-like summary table: one row per layer of a <see cref="Sequential"/> (a nested container is
/// one row, as Keras shows a nested model), with its output shape and parameter count, then the total,
/// trainable and non-trainable counts.
/// </summary>
public static class ModelSummary
{
    /// <summary>Counts the parameters of <paramref name="module"/> and its children.</summary>
    public static ParameterCounts Count(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        long trainable = 0, frozen = 0;
        foreach (var (_, p) in module.NamedParameters())
        {
            if (p.RequiresGrad) trainable += p.Value.Size;
            else frozen += p.Value.Size;
        }
        foreach (var (name, buffer) in module.NamedBuffers())
            if (!name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) frozen += buffer.Size;
        return new ParameterCounts(trainable, frozen);
    }

    /// <summary>Formats the summary table.</summary>
    /// <param name="model">The model.</param>
    /// <param name="inputShape">Shape of one example, without the batch dimension (e.g. [784] or [1, 28, 28]).</param>
    /// <exception cref="ArgumentException">A layer rejects the shape it receives (the message names it).</exception>
    public static string Format(Module model, int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        var rows = new List<(string Layer, string Shape, long Params)>();
        int[] shape = [1, .. inputShape];
        var layers = model is Sequential sequential
            ? sequential.Layers.Select((layer, i) => (Name: i.ToString(CultureInfo.InvariantCulture), Layer: layer))
            : [(Name: "model", Layer: model)];
        foreach (var (name, layer) in layers)
        {
            try { shape = layer.OutputShape(shape); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new ArgumentException($"layer {name} ({layer.Describe()}) rejects input {ShapeText(shape)}: {e.Message}", nameof(inputShape), e);
            }
            rows.Add(($"{name} ({layer.GetType().Name})", ShapeText(shape), Count(layer).Total));
        }
        var counts = Count(model);
        int w1 = Math.Max(28, rows.Max(r => r.Layer.Length) + 2);
        int w2 = Math.Max(24, rows.Max(r => r.Shape.Length) + 2);
        int width = w1 + w2 + 12;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Model: {model.Describe()}");
        text.AppendLine(new string('_', width));
        text.AppendLine("Layer (type)".PadRight(w1) + "Output Shape".PadRight(w2) + "Param #");
        text.AppendLine(new string('=', width));
        foreach (var (layer, outShape, count) in rows)
            text.AppendLine(layer.PadRight(w1) + outShape.PadRight(w2) + Number(count));
        text.AppendLine(new string('=', width));
        text.AppendLine("Total params: " + Number(counts.Total));
        text.AppendLine("Trainable params: " + Number(counts.Trainable));
        text.AppendLine("Non-trainable params: " + Number(counts.NonTrainable));
        text.Append(new string('_', width));
        return text.ToString();
    }

    /// <summary>
    /// The Keras-like summary table of <paramref name="model"/> (Keras' <c>model.summary()</c>), e.g.
    /// <c>Console.WriteLine(model.Summary(784))</c> or <c>model.Summary(1, 28, 28)</c>.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="inputShape">Shape of one example, without the batch dimension.</param>
    public static string Summary(this Module model, params int[] inputShape) => Format(model, inputShape);

    private static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    // Keras writes the batch dimension as None.
    private static string ShapeText(int[] shape) =>
        "(None" + string.Concat(shape.Skip(1).Select(d => ", " + d.ToString(CultureInfo.InvariantCulture))) + ")";
}

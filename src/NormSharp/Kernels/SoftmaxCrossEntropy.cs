using System.Numerics.Tensors;

namespace NormSharp.Kernels;

/// <summary>
/// Fused, numerically stable softmax + cross-entropy over class scores with integer labels (PyTorch's
/// <c>F.cross_entropy</c> with mean reduction): one pass per row computes the loss and the gradient with
/// respect to the logits, so no probability tensor is stored.
/// </summary>
/// <remarks>
/// Stability: log Σ e^{z} = m + log Σ e^{z − m} with m = max z (the log-sum-exp trick), so no exponential
/// overflows; the gradient is softmax(z) − onehot(t), scaled by 1/rows. Rows run in order and the loss is
/// summed in double, so the result does not depend on the thread count.
/// </remarks>
public static class SoftmaxCrossEntropy
{
    /// <summary>Mean cross-entropy of <paramref name="rows"/> rows of <paramref name="logits"/> ([rows, classes])
    /// against class indices <paramref name="labels"/>; writes d loss / d logits into <paramref name="gradient"/>.</summary>
    /// <exception cref="ArgumentException">Spans of the wrong length, or a label that is not an integer in [0, classes).</exception>
    public static float Compute(ReadOnlySpan<float> logits, int rows, int classes, ReadOnlySpan<float> labels, Span<float> gradient)
    {
        if (rows < 1 || classes < 1 || (long)rows * classes != logits.Length)
            throw new ArgumentException($"logits hold {logits.Length} values, not [{rows}, {classes}] with rows, classes ≥ 1", nameof(logits));
        if (labels.Length != rows) throw new ArgumentException($"{labels.Length} labels for {rows} rows of logits", nameof(labels));
        if (gradient.Length != logits.Length) throw new ArgumentException($"gradient holds {gradient.Length} values, {logits.Length} needed", nameof(gradient));
        CheckLabels(labels, classes);

        float invRows = 1f / rows;
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            var z = logits.Slice(i * classes, classes);
            var g = gradient.Slice(i * classes, classes);
            int label = (int)labels[i];
            float max = TensorPrimitives.Max(z);
            // g = e^{z − m}; Σ g; then g = g / Σ / rows − [j = t] / rows.
            TensorPrimitives.Subtract(z, max, g);
            TensorPrimitives.Exp(g, g);
            float sum = TensorPrimitives.Sum(g);
            total += Math.Log(sum) + ((double)max - z[label]); // the difference first: m and z may be huge
            TensorPrimitives.Multiply(g, invRows / sum, g);
            g[label] -= invRows;
        }
        return (float)(total / rows);
    }

    /// <summary>Throws unless every label is an integer class index in [0, <paramref name="classes"/>).</summary>
    public static void CheckLabels(ReadOnlySpan<float> labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            float t = labels[i];
            if (!(t >= 0 && t < classes) || t != MathF.Floor(t))
                throw new ArgumentException($"label {t} at row {i} is not a class index in [0, {classes})", nameof(labels));
        }
    }
}

namespace NormSharp.Kernels;

/// <summary>
/// Softmax cross-entropy computed plainly in double: the definition <see cref="SoftmaxCrossEntropy"/> is
/// tested against. For logits z [rows, classes] and labels t: loss = (1/rows) Σᵢ (log Σⱼ e^{zᵢⱼ} − z_{i,tᵢ}),
/// and d loss / d zᵢⱼ = (softmax(zᵢ)ⱼ − [j = tᵢ]) / rows.
/// </summary>
public static class SoftmaxCrossEntropyReference
{
    /// <summary>Mean loss; writes the gradient with respect to the logits into <paramref name="gradient"/>.</summary>
    public static float Compute(ReadOnlySpan<float> logits, int rows, int classes, ReadOnlySpan<float> labels, Span<float> gradient)
    {
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            var z = logits.Slice(i * classes, classes);
            int label = (int)labels[i];
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = Math.Max(max, z[j]);
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.Exp(z[j] - max);
            total += Math.Log(sum) + (max - z[label]);
            for (int j = 0; j < classes; j++)
                gradient[i * classes + j] = (float)((Math.Exp(z[j] - max) / sum - (j == label ? 1 : 0)) / rows);
        }
        return (float)(total / rows);
    }
}

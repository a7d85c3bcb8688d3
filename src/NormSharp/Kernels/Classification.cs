using System.Numerics.Tensors;

namespace NormSharp.Kernels;

/// <summary>Row-wise arg-max over class scores and accuracy counting.</summary>
/// <remarks>Ties go to the lowest index and a NaN wins its row, as <c>torch.argmax</c>
/// (<see cref="TensorPrimitives.IndexOfMax{T}(ReadOnlySpan{T})"/> has exactly these rules).</remarks>
public static class Classification
{
    /// <summary>Writes the index of the largest score of each of the <paramref name="rows"/> rows of
    /// <paramref name="scores"/> ([rows, classes], row-major) into <paramref name="indices"/>.</summary>
    public static void ArgMaxRows(ReadOnlySpan<float> scores, int rows, int classes, Span<int> indices)
    {
        Check(scores.Length, rows, classes);
        if (indices.Length < rows) throw new ArgumentException($"indices holds {indices.Length} entries, {rows} needed", nameof(indices));
        for (int r = 0; r < rows; r++) indices[r] = TensorPrimitives.IndexOfMax(scores.Slice(r * classes, classes));
    }

    /// <summary>Number of rows whose arg-max equals the label (class indices stored as floats).</summary>
    public static int CountCorrect(ReadOnlySpan<float> scores, int rows, int classes, ReadOnlySpan<float> labels)
    {
        Check(scores.Length, rows, classes);
        if (labels.Length != rows) throw new ArgumentException($"{labels.Length} labels for {rows} rows of scores", nameof(labels));
        int correct = 0;
        for (int r = 0; r < rows; r++)
            if (TensorPrimitives.IndexOfMax(scores.Slice(r * classes, classes)) == (int)labels[r]) correct++;
        return correct;
    }

    private static void Check(int length, int rows, int classes)
    {
        if (rows < 0 || classes < 1 || (long)rows * classes != length)
            throw new ArgumentException($"scores hold {length} values, not [{rows}, {classes}]");
    }
}

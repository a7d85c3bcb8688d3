using NormSharp.Kernels;

namespace NormSharp.Losses;

/// <summary>
/// Softmax cross-entropy with integer class labels and mean reduction (PyTorch <c>nn.CrossEntropyLoss()</c>
/// with its defaults; Keras <c>SparseCategoricalCrossentropy(from_logits=True)</c>). The model outputs raw
/// logits [N, classes]; the softmax is part of the loss (<see cref="SoftmaxCrossEntropy"/>, fused and stable).
/// </summary>
/// <remarks>Not supported (PyTorch options): class weights, <c>ignore_index</c>, label smoothing; labels must
/// be valid class indices, or <see cref="Forward"/> throws.</remarks>
public sealed class CrossEntropyLoss : Loss
{
    private Tensor? _gradient;

    /// <param name="prediction">Logits [N, classes].</param>
    /// <param name="target">Class indices [N], stored as exact floats.</param>
    public override float Forward(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (prediction.Rank != 2)
            throw new ArgumentException($"cross-entropy expects logits [N, classes], got {prediction.ShapeString()}", nameof(prediction));
        if (target.Rank != 1 || target.Dim(0) != prediction.Dim(0))
            throw new ArgumentException(
                $"cross-entropy expects {prediction.Dim(0)} class indices [N], got {target.ShapeString()}", nameof(target));
        var gradient = Tensor.Ensure(ref _gradient, prediction.Shape);
        return SoftmaxCrossEntropy.Compute(prediction.Span, prediction.Dim(0), prediction.Dim(1), target.Span, gradient.Span);
    }

    /// <summary>d loss / d logits of the last <see cref="Forward"/>: (softmax − onehot) / N.</summary>
    public override Tensor Backward() =>
        _gradient ?? throw new InvalidOperationException("CrossEntropyLoss: Backward called before Forward");
}

namespace NormSharp.Layers;

/// <summary>
/// Returns its input unchanged (PyTorch <c>torch.nn.Identity</c>). Stands where a folded BatchNorm was
/// (<see cref="Inference.BatchNormFolding"/>, as <c>torch.ao.quantization.fuse_modules</c> does), so the
/// remaining layers keep their state-dict indices.
/// </summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        return gradOutput;
    }

    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        return (int[])inputShape.Clone();
    }

    public override string Describe() => "Identity()";
}

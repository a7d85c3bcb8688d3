namespace NormSharp.Layers;

/// <summary>
/// Flattens every dimension but the first: [N, d1, d2, …] → [N, d1·d2·…] (PyTorch <c>torch.nn.Flatten</c>
/// with its defaults <c>start_dim=1</c>, <c>end_dim=-1</c>). Forward and backward return views over the
/// same storage: no copy.
/// </summary>
public sealed class Flatten : Module
{
    private Tensor? _outputView;
    private Tensor? _gradInputView;
    private int[] _inputShape = [];

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank < 2)
            throw new ArgumentException($"{Describe()} expects input [N, …] of rank ≥ 2, got {x.ShapeString()}", nameof(x));
        if (!x.HasShape(_inputShape)) _inputShape = (int[])x.Shape.Clone();
        int batch = x.Dim(0);
        return Tensor.View(ref _outputView, x, batch, batch == 0 ? 0 : x.Size / batch);
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        if (_outputView is null) throw new InvalidOperationException($"{Describe()}: Backward called before Forward");
        if (!gradOutput.HasShape(_outputView.Shape))
            throw new ArgumentException(
                $"{Describe()}: output gradient {gradOutput.ShapeString()} does not match the output {_outputView.ShapeString()}",
                nameof(gradOutput));
        return Tensor.View(ref _gradInputView, gradOutput, _inputShape);
    }

    public override int[] OutputShape(int[] inputShape)
    {
        if (inputShape.Length < 2)
            throw new ArgumentException($"{Describe()} expects input [N, …] of rank ≥ 2, got [{string.Join(", ", inputShape)}]", nameof(inputShape));
        long rest = 1;
        for (int i = 1; i < inputShape.Length; i++) rest *= inputShape[i];
        return [inputShape[0], checked((int)rest)];
    }

    public override string Describe() => "Flatten()";
}

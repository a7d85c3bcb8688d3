using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Losses;

namespace NormSharp.Tests.Training;

/// <summary>y = w·x with one scalar weight; records the mode of every forward call. Lets the trainer be
/// tested without depending on the real layers.</summary>
internal sealed class ScaleModule : Module
{
    private Tensor? _output, _gradInput, _input;

    public Parameter Weight { get; } = new(Tensor.Full(1f, 1));

    public List<bool> ForwardModes { get; } = [];

    public List<bool> InputGradientRequests { get; } = [];

    public override Tensor Forward(Tensor x)
    {
        ForwardModes.Add(Training);
        _input = x;
        var y = Tensor.Ensure(ref _output, x.Shape);
        float w = Weight.Value[0];
        for (int i = 0; i < x.Size; i++) y[i] = w * x[i];
        return y;
    }

    public override Tensor Backward(Tensor gradOutput)
    {
        InputGradientRequests.Add(NeedsInputGradient);
        double dw = 0;
        for (int i = 0; i < gradOutput.Size; i++) dw += gradOutput[i] * _input![i];
        Weight.Grad[0] += (float)dw;
        var gx = Tensor.Ensure(ref _gradInput, gradOutput.Shape);
        float w = Weight.Value[0];
        for (int i = 0; i < gx.Size; i++) gx[i] = w * gradOutput[i];
        return gx;
    }

    public override int[] OutputShape(int[] inputShape) => inputShape;

    protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters() => [("weight", Weight)];
}

/// <summary>Mean over the batch of Σ_c (p_c − onehot(label)_c)²; targets are class indices [N].</summary>
internal sealed class OneHotSquaredError : Loss
{
    private Tensor? _prediction, _target, _grad;

    public override float Forward(Tensor prediction, Tensor target)
    {
        _prediction = prediction;
        _target = target;
        int n = prediction.Dim(0), c = prediction.Dim(1);
        double sum = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++)
            {
                double d = prediction[i, j] - (j == (int)target[i] ? 1 : 0);
                sum += d * d;
            }
        return (float)(sum / n);
    }

    public override Tensor Backward()
    {
        int n = _prediction!.Dim(0), c = _prediction.Dim(1);
        var g = Tensor.Ensure(ref _grad, n, c);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++)
                g[i, j] = 2f * (_prediction[i, j] - (j == (int)_target![i] ? 1 : 0)) / n;
        return g;
    }
}

internal static class FakeData
{
    /// <summary>Features that are noisy one-hot encodings (scaled by <paramref name="signal"/>) of the labels.</summary>
    public static InMemoryDataset OneHot(int count, int classes, float signal, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new Tensor(count, classes);
        var y = new Tensor(count);
        for (int i = 0; i < count; i++)
        {
            int label = rng.NextInt(classes);
            y[i] = label;
            for (int j = 0; j < classes; j++) x[i, j] = (j == label ? signal : 0f) + 0.1f * rng.NextGaussian();
        }
        return new InMemoryDataset("one-hot", x, y, classes);
    }
}

/// <summary>Adds N(0, 0.1²) noise in training mode, drawn from its <see cref="IStochastic.Generator"/>.</summary>
internal sealed class NoiseModule : Module, IStochastic
{
    private Tensor? _output;

    public Rng Generator { get; set; } = new(0);

    public override Tensor Forward(Tensor x)
    {
        var y = Tensor.Ensure(ref _output, x.Shape);
        for (int i = 0; i < x.Size; i++) y[i] = x[i] + (Training ? 0.1f * Generator.NextGaussian() : 0f);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput) => gradOutput;

    public override int[] OutputShape(int[] inputShape) => inputShape;
}

using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Inference;

/// <summary>
/// Folds each eval-mode BatchNorm into the Dense or Conv2d right before it, for inference: with
/// s = γ/√(σ² + ε) per output channel, W' = W·s (each output row or filter scaled) and
/// b' = (b − μ)·s + β, so the pair becomes one affine layer and BN's pass over the activations disappears
/// (PyTorch <c>torch/nn/utils/fusion.py</c>, <c>fuse_linear_bn_weights</c> / <c>fuse_conv_bn_weights</c>).
/// </summary>
/// <remarks>
/// <para>The folded BN is replaced by <see cref="Identity"/> (as <c>torch.ao.quantization.fuse_modules</c>
/// does), so every other layer keeps its state-dict name. The layer before it gains a bias when it had none.
/// Pairs are found in every <see cref="Sequential"/>, nested ones included, also inside a <see cref="Residual"/>'s body
/// and shortcut (state-dict names <c>….body.1</c>, <c>….shortcut.1</c>); anything else is copied as it is.</para>
/// <para>Only BN layers that normalise with running statistics in eval mode are folded
/// (<see cref="BatchNormBase.TrackRunningStats"/>), and only when their layout fits the layer before:
/// a 1d BN of <see cref="Dense.OutFeatures"/> channels after a Dense (whose input is [N, features]: a 3D input
/// [N, C, L] would normalise another dimension), a 2d BN of <see cref="Conv2d.OutChannels"/> after a Conv2d.</para>
/// <para>The result is a new model in eval mode, for inference only: training it would no longer normalise
/// with batch statistics. The factors are computed in double and rounded once, so the folded model agrees
/// with the original to float32 rounding (~1e-6 relative).</para>
/// </remarks>
public static class BatchNormFolding
{
    /// <summary>A folded copy of <paramref name="model"/> (the model itself is not changed).</summary>
    public static Module Fold(Module model) => Fold(model, out _);

    /// <summary>A folded copy of <paramref name="model"/>; <paramref name="folded"/> names the BN layers folded away.</summary>
    /// <exception cref="NotSupportedException">The model cannot be copied (a layer without an architecture description).</exception>
    public static Module Fold(Module model, out IReadOnlyList<string> folded)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = new List<string>();
        var result = FoldTree(ModelCopy.Clone(model), "", names);
        result.Eval();
        folded = names;
        return result;
    }

    /// <summary>The BN layers <see cref="Fold(Module)"/> would fold, by state-dict name.</summary>
    public static IReadOnlyList<string> Foldable(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = new List<string>();
        foreach (var (path, module) in model.NamedModules())
        {
            if (module is not Sequential sequential) continue;
            for (int i = 0; i + 1 < sequential.Count; i++)
                if (sequential[i + 1] is BatchNormBase bn && Fits(sequential[i], bn))
                    names.Add(Join(path, i + 1));
        }
        return names;
    }

    private static Module FoldTree(Module module, string path, List<string> names)
    {
        if (module is Residual residual)
            return new Residual(FoldTree(residual.Body, Join(path, "body"), names),
                residual.Shortcut is null ? null : FoldTree(residual.Shortcut, Join(path, "shortcut"), names));
        if (module is not Sequential sequential) return module;
        var layers = new List<Module>(sequential.Count);
        for (int i = 0; i < sequential.Count; i++)
        {
            var layer = sequential[i];
            if (i + 1 < sequential.Count && sequential[i + 1] is BatchNormBase bn && Fits(layer, bn))
            {
                layers.Add(FoldPair(layer, bn));
                layers.Add(new Identity());
                names.Add(Join(path, i + 1));
                i++;
                continue;
            }
            layers.Add(FoldTree(layer, Join(path, i), names));
        }
        return new Sequential(layers);
    }

    /// <summary>Whether <paramref name="bn"/> normalises the output channels of <paramref name="layer"/> with fixed statistics.</summary>
    internal static bool Fits(Module layer, BatchNormBase bn)
    {
        if (!bn.TrackRunningStats) return false;
        int[] probe = layer switch
        {
            Dense dense => [2, dense.OutFeatures],
            Conv2d conv => [2, conv.OutChannels, 1, 1],
            _ => [],
        };
        if (probe.Length == 0 || probe[1] != bn.NumFeatures) return false;
        try
        {
            bn.OutputShape(probe); // throws unless the BN's layout (1d or 2d) is this one
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Module FoldPair(Module layer, BatchNormBase bn)
    {
        var rng = new Rng(0); // every value is overwritten below
        (Module fused, Tensor weight, Tensor? bias, Tensor newWeight, Tensor newBias) = layer switch
        {
            Dense d => Make(new Dense(d.InFeatures, d.OutFeatures, bias: true, rng: rng), d.WeightParameter.Value, d.BiasParameter?.Value),
            Conv2d c => Make(new Conv2d(c.InChannels, c.OutChannels, c.KernelSize, c.Stride, c.Padding, bias: true, rng: rng),
                c.WeightParameter.Value, c.BiasParameter?.Value),
            _ => throw new ArgumentException($"cannot fold a BN into {layer.Describe()}", nameof(layer)),
        };
        FoldWeights(bn, weight.Span, bias is null ? default : bias.Span, newWeight.Span, newBias.Span);
        return fused;
    }

    private static (Module, Tensor, Tensor?, Tensor, Tensor) Make(Dense fused, Tensor weight, Tensor? bias) =>
        (fused, weight, bias, fused.WeightParameter.Value, fused.BiasParameter!.Value);

    private static (Module, Tensor, Tensor?, Tensor, Tensor) Make(Conv2d fused, Tensor weight, Tensor? bias) =>
        (fused, weight, bias, fused.WeightParameter.Value, fused.BiasParameter!.Value);

    /// <summary>
    /// W'[c, ·] = W[c, ·]·s_c and b'_c = (b_c − μ_c)·s_c + β_c with s_c = γ_c/√(σ²_c + ε), for weights laid out
    /// [C, rest] (Dense [out, in], Conv2d [out, in, k, k]); <paramref name="bias"/> empty means b = 0.
    /// </summary>
    public static void FoldWeights(BatchNormBase bn, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> foldedWeight, Span<float> foldedBias)
    {
        ArgumentNullException.ThrowIfNull(bn);
        if (!bn.TrackRunningStats) throw new ArgumentException($"{bn.Describe()} has no running statistics to fold", nameof(bn));
        int channels = bn.NumFeatures;
        if (weight.Length % channels != 0 || foldedWeight.Length != weight.Length || foldedBias.Length != channels
            || (!bias.IsEmpty && bias.Length != channels))
            throw new ArgumentException($"weights of {weight.Length} values and bias of {bias.Length} do not fit {channels} channels");
        int rest = weight.Length / channels;
        var mean = bn.RunningMean!.Span;
        var variance = bn.RunningVar!.Span;
        for (int c = 0; c < channels; c++)
        {
            double gamma = bn.WeightParameter is null ? 1 : bn.WeightParameter.Value[c];
            double beta = bn.BiasParameter is null ? 0 : bn.BiasParameter.Value[c];
            double scale = gamma / Math.Sqrt(variance[c] + (double)bn.Eps);
            for (int j = 0; j < rest; j++) foldedWeight[c * rest + j] = (float)(weight[c * rest + j] * scale);
            double b = bias.IsEmpty ? 0 : bias[c];
            foldedBias[c] = (float)((b - mean[c]) * scale + beta);
        }
    }

    private static string Join(string path, int index) => Join(path, index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}

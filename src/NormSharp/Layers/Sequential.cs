namespace NormSharp.Layers;

/// <summary>Runs its layers in order; backward runs them in reverse. Children are named "0", "1", ….</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers;

    public Sequential(params IEnumerable<Module> layers)
    {
        _layers = layers.ToList();
        for (int i = 0; i < _layers.Count; i++)
            if (_layers[i] is null) throw new ArgumentNullException(nameof(layers), $"layer {i} is null");
    }

    public IReadOnlyList<Module> Layers => _layers;

    public int Count => _layers.Count;

    public Module this[int index] => _layers[index];

    /// <summary>Appends a layer.</summary>
    public Sequential Add(Module layer)
    {
        _layers.Add(layer ?? throw new ArgumentNullException(nameof(layer)));
        return this;
    }

    /// <summary>Runs the layers in order. A <see cref="Dense"/> followed by a <see cref="ReLU"/>, directly or across
    /// <see cref="Identity"/> layers (where <see cref="Inference.BatchNormFolding"/> left a folded BN), runs as one
    /// product with the bias and the ReLU in its epilogue; a BatchNorm followed by a ReLU or a <see cref="Sigmoid"/> (the
    /// seeds' MLP and LeNet) applies the activation to each strip or plane while it is in cache. Each saves the
    /// activation's pass over memory and gives the same bits; the activation layer keeps the result for its backward,
    /// the stateless identities are skipped. A 2×2 average pooling after that activation (LeNet's BN → sigmoid → pool) is
    /// computed by the BatchNorm too, each plane pooled while it is in cache, without the pooling's read of the activation.</summary>
    public override Tensor Forward(Tensor x)
    {
        for (int i = 0; i < _layers.Count; i++)
        {
            int next = NextLayer(i);
            var activation = next < _layers.Count ? _layers[next] as ActivationModule : null;
            if (_layers[i] is Dense dense && activation is ReLU relu)
            {
                x = relu.AdoptFused(dense.Forward(x, Kernels.GemmActivation.Relu));
                i = next;
                continue;
            }
            if (_layers[i] is BatchNormBase bn && activation is { FusedForm: not Kernels.FusedActivation.None and var form })
            {
                int after = NextLayer(next);
                if (after < _layers.Count && _layers[after] is AvgPool2d pool && pool.PoolsEvenTwoByTwo(x.Shape))
                {
                    // BN → activation → 2×2 average pooling (LeNet's): the pooling of each plane too while it is in cache.
                    var pooled = pool.OutputForFusedForward(x.Shape);
                    activation.AdoptFused(bn.Forward(x, form, pooled));
                    x = pooled;
                    i = after;
                    continue;
                }
                x = activation.AdoptFused(bn.Forward(x, form));
                i = next;
                continue;
            }
            x = _layers[i].Forward(x);
        }
        return x;
    }

    /// <summary>The first layer after <paramref name="i"/> that is not an <see cref="Identity"/> (the count if none).</summary>
    private int NextLayer(int i)
    {
        int next = i + 1;
        while (next < _layers.Count && _layers[next] is Identity) next++;
        return next;
    }

    /// <summary>Runs the layers' backward passes in reverse. An <see cref="AvgPool2d"/> after a ReLU or a
    /// <see cref="Sigmoid"/> (LeNet's sigmoid → pool) runs both backward passes as one: the pooling's spread gradient
    /// gets the activation's derivative while it is in cache, the same bits without the pass over memory between.</summary>
    public override Tensor Backward(Tensor gradOutput)
    {
        // Only the first layer may skip its input gradient, and only when this container may.
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            if (i == 0) _layers[0].NeedsInputGradient = NeedsInputGradient;
            if (_layers[i] is AvgPool2d pool && i >= 1 && _layers[i - 1] is ActivationModule { FusedForm: not Kernels.FusedActivation.None } activation
                && (i > 1 || NeedsInputGradient))
            {
                gradOutput = pool.BackwardThroughActivation(gradOutput, activation);
                i--;
                continue;
            }
            gradOutput = _layers[i].Backward(gradOutput);
        }
        return gradOutput;
    }

    public override int[] OutputShape(int[] inputShape)
    {
        foreach (var layer in _layers) inputShape = layer.OutputShape(inputShape);
        return inputShape;
    }

    public override IEnumerable<(string Name, Module Module)> Children()
    {
        for (int i = 0; i < _layers.Count; i++) yield return (i.ToString(System.Globalization.CultureInfo.InvariantCulture), _layers[i]);
    }

    public override string Describe() => $"Sequential({_layers.Count} layers)";
}

namespace NormSharp.Layers;

/// <summary>
/// A layer or a container of layers with an explicit forward and a hand-derived backward pass.
/// </summary>
/// <remarks>
/// <para>Contract: <see cref="Forward"/> keeps whatever it needs for <see cref="Backward"/> (usually a
/// reference to its input and output); <see cref="Backward"/> receives dL/d(output), <b>adds</b> the
/// parameter gradients into <see cref="Parameter.Grad"/> and returns dL/d(input). Returned tensors are
/// owned by the layer and reused by its next call: copy them if you need to keep them.</para>
/// <para>State-dict keys follow PyTorch (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>0.weight</c>
/// inside containers) so weights move between NormSharp and PyTorch by name.</para>
/// </remarks>
public abstract class Module
{
    /// <summary>True in training mode (batch statistics, dropout active); false in eval mode.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>
    /// When false, <see cref="Backward"/> may skip dL/d(input) (the first layer of a network needs none:
    /// ~16% of an MLP's FLOPs) and return an empty tensor. Set by the training loop.
    /// </summary>
    public bool NeedsInputGradient { get; set; } = true;

    public abstract Tensor Forward(Tensor x);

    public abstract Tensor Backward(Tensor gradOutput);

    /// <summary>Shape of the output for an input of <paramref name="inputShape"/> (batch dimension included).</summary>
    public abstract int[] OutputShape(int[] inputShape);

    /// <summary>Switches this module and its children to training (<paramref name="mode"/> true) or eval mode.</summary>
    public virtual void Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in Children()) child.Train(mode);
    }

    /// <summary>Switches to eval mode (running statistics, no dropout).</summary>
    public void Eval() => Train(false);

    /// <summary>Direct sub-modules with their names ("0", "1", … in Sequential).</summary>
    public virtual IEnumerable<(string Name, Module Module)> Children() => [];

    /// <summary>This module's own parameters (not its children's), PyTorch-named.</summary>
    protected virtual IEnumerable<(string Name, Parameter Parameter)> OwnParameters() => [];

    /// <summary>This module's own non-trainable state (running statistics …), PyTorch-named.</summary>
    protected virtual IEnumerable<(string Name, Tensor Buffer)> OwnBuffers() => [];

    /// <summary>Every parameter of the tree, with dotted PyTorch names ("0.weight", "3.bias").</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (name, p) in OwnParameters()) yield return (name, p);
        foreach (var (childName, child) in Children())
            foreach (var (name, p) in child.NamedParameters())
                yield return (childName + "." + name, p);
    }

    /// <summary>Every buffer of the tree, with dotted PyTorch names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (name, b) in OwnBuffers()) yield return (name, b);
        foreach (var (childName, child) in Children())
            foreach (var (name, b) in child.NamedBuffers())
                yield return (childName + "." + name, b);
    }

    /// <summary>Every module of the tree, this one first (name ""), then children depth-first.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        yield return ("", this);
        foreach (var (childName, child) in Children())
            foreach (var (name, m) in child.NamedModules())
                yield return (name.Length == 0 ? childName : childName + "." + name, m);
    }

    /// <summary>Parameters and buffers by name, in PyTorch's order (per module: parameters, then buffers).
    /// The tensors are the live ones, not copies.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var state = new OrderedDictionary<string, Tensor>();
        AddState(state, "");
        return state;
    }

    private void AddState(OrderedDictionary<string, Tensor> state, string prefix)
    {
        foreach (var (name, p) in OwnParameters()) state.Add(prefix + name, p.Value);
        foreach (var (name, b) in OwnBuffers()) state.Add(prefix + name, b);
        foreach (var (childName, child) in Children()) child.AddState(state, prefix + childName + ".");
    }

    /// <summary>
    /// Copies <paramref name="state"/> into this module's parameters and buffers by name. With
    /// <paramref name="strict"/>, missing or unexpected keys are an error (as in PyTorch); shapes must
    /// always match.
    /// </summary>
    /// <exception cref="ArgumentException">A key is missing/unexpected (strict) or a shape differs.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        if (strict)
        {
            var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new ArgumentException(
                    $"state dict does not match the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]",
                    nameof(state));
        }
        foreach (var (key, target) in own)
        {
            if (!state.TryGetValue(key, out var source)) continue;
            if (source.Size != target.Size || (source.Rank != 0 && target.Rank != 0 && !target.HasShape(source.Shape)))
                throw new ArgumentException(
                    $"'{key}': shape {source.ShapeString()} in the state dict, {target.ShapeString()} in the model", nameof(state));
            target.CopyFrom(source);
        }
        OnStateLoaded();
    }

    /// <summary>Called after <see cref="LoadStateDict"/> so a module can refresh derived state.</summary>
    protected virtual void OnStateLoaded()
    {
        foreach (var (_, child) in Children()) child.OnStateLoaded();
    }

    /// <summary>Clears every parameter gradient of the tree.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in NamedParameters()) p.Grad.Clear();
    }

    /// <summary>A short description used by summaries, e.g. "Dense(784 → 500)".</summary>
    public virtual string Describe() => GetType().Name;

    public override string ToString() => Describe();
}

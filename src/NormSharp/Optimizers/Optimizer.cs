using System.Globalization;
using NormSharp.Layers;

namespace NormSharp.Optimizers;

/// <summary>
/// Base of every optimizer: holds the parameter list (captured once, so a step enumerates nothing),
/// the learning rate, per-parameter state buffers and step counts.
/// </summary>
/// <remarks>
/// <para><see cref="Step"/> updates every parameter whose <see cref="Parameter.RequiresGrad"/> is true and
/// skips the others, as PyTorch skips parameters without a gradient. Each parameter counts its own
/// steps (PyTorch's <c>state[p]["step"]</c>), which drives Adam's bias correction and SGD's first
/// momentum step, so freezing a parameter for a while does not disturb its update rule.</para>
/// <para>State buffers are allocated once in the constructor; a step allocates nothing.</para>
/// </remarks>
public abstract class Optimizer
{
    private readonly Parameter[] _parameters;
    private readonly long[] _parameterSteps;
    private readonly Tensor[][] _state;
    private readonly string[] _stateNames;
    private float _learningRate;

    /// <param name="parameters">The parameters to optimize, e.g. <c>model.NamedParameters().Select(p =&gt; p.Parameter)</c>.</param>
    /// <param name="learningRate">The initial learning rate (≥ 0).</param>
    /// <param name="stateNames">Names of the per-parameter state buffers, PyTorch's (e.g. "exp_avg").</param>
    /// <exception cref="ArgumentException">The list is empty or holds a parameter twice.</exception>
    protected Optimizer(IEnumerable<Parameter> parameters, float learningRate, params string[] stateNames)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0)
            throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i] is null) throw new ArgumentException($"parameter {i} is null", nameof(parameters));
            if (!seen.Add(_parameters[i]))
                throw new ArgumentException($"parameter {i} appears more than once in the parameter list", nameof(parameters));
        }
        LearningRate = learningRate;
        _stateNames = stateNames;
        _parameterSteps = new long[_parameters.Length];
        _state = new Tensor[_parameters.Length][];
        for (int i = 0; i < _parameters.Length; i++)
        {
            _state[i] = new Tensor[stateNames.Length];
            for (int s = 0; s < stateNames.Length; s++) _state[i][s] = new Tensor(_parameters[i].Value.Shape);
        }
    }

    /// <summary>The parameters, in the order given to the constructor (the index used in state keys).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The learning rate used by the next <see cref="Step"/>; schedules change it.</summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || float.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "the learning rate must be a finite number ≥ 0");
            _learningRate = value;
        }
    }

    /// <summary>Number of completed <see cref="Step"/> calls.</summary>
    public long StepCount { get; private set; }

    /// <summary>Updates every trainable parameter from its gradient (one fused pass each).</summary>
    public void Step()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (!p.RequiresGrad) continue;
            long step = ++_parameterSteps[i];
            Update(p, _state[i], step);
        }
        StepCount++;
    }

    /// <summary>Clears every parameter's gradient (walks the cached array; allocates nothing).</summary>
    public void ZeroGrad()
    {
        for (int i = 0; i < _parameters.Length; i++) _parameters[i].Grad.Clear();
    }

    /// <summary>Applies one update to <paramref name="parameter"/>.</summary>
    /// <param name="parameter">The parameter (value and gradient).</param>
    /// <param name="state">Its state buffers, in the order of the constructor's state names.</param>
    /// <param name="step">This parameter's step number, 1 for its first update.</param>
    protected abstract void Update(Parameter parameter, Tensor[] state, long step);

    /// <summary>
    /// The optimizer state for checkpoints: <c>"step"</c> (<see cref="StepCount"/>), and per parameter
    /// <c>"state.{i}.step"</c> and <c>"state.{i}.{buffer}"</c> (e.g. <c>state.0.exp_avg</c>). Buffers are
    /// the live tensors; step counts are scalar copies (float: exact up to 2^24 steps).
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var state = new OrderedDictionary<string, Tensor> { ["step"] = Tensor.Scalar(StepCount) };
        for (int i = 0; i < _parameters.Length; i++)
        {
            state[StateKey(i, "step")] = Tensor.Scalar(_parameterSteps[i]);
            for (int s = 0; s < _stateNames.Length; s++) state[StateKey(i, _stateNames[s])] = _state[i][s];
        }
        return state;
    }

    /// <summary>Restores a state saved by <see cref="StateDict"/> from an optimizer over the same parameters.</summary>
    /// <exception cref="ArgumentException">A key is missing or a buffer's size differs from its parameter's.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var expected = StateDict();
        foreach (var key in expected.Keys)
            if (!state.ContainsKey(key))
                throw new ArgumentException($"optimizer state dict lacks '{key}' ({GetType().Name} over {_parameters.Length} parameters)", nameof(state));
        foreach (var (key, source) in state)
        {
            if (!expected.TryGetValue(key, out var target))
                throw new ArgumentException($"unexpected key '{key}' in the optimizer state dict of {GetType().Name}", nameof(state));
            if (source.Size != target.Size)
                throw new ArgumentException($"'{key}': {source.Size} elements in the state dict, {target.Size} expected", nameof(state));
        }
        for (int i = 0; i < _parameters.Length; i++)
        {
            _parameterSteps[i] = ReadCount(state[StateKey(i, "step")]);
            for (int s = 0; s < _stateNames.Length; s++) _state[i][s].CopyFrom(state[StateKey(i, _stateNames[s])]);
        }
        StepCount = ReadCount(state["step"]);
    }

    private static long ReadCount(Tensor t) => (long)t.Span[0];

    private static string StateKey(int index, string name) =>
        "state." + index.ToString(CultureInfo.InvariantCulture) + "." + name;

    /// <summary>Throws when <paramref name="value"/> is negative or not finite.</summary>
    protected static float NonNegative(float value, string name) =>
        value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0");

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; 1.</summary>
    protected static float InUnitInterval(float value, string name) =>
        value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1)");
}

using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;

namespace NormSharp.Training;

/// <summary>
/// Trains a model with a loss and an optimizer: single steps (<see cref="TrainStep"/>), whole runs
/// (<see cref="Fit"/>), evaluation and prediction, switching train/eval mode for the user.
/// </summary>
/// <remarks>
/// <para>A training step allocates nothing once the layers' buffers exist: gradients are cleared
/// through a parameter array cached here (<see cref="Module.ZeroGrad"/> enumerates the tree), and the
/// first layer skips its input gradient (<see cref="Module.NeedsInputGradient"/>).</para>
/// <para>Reproducibility: the same model seed, data-loader seed, <see cref="FitOptions.Seed"/> and
/// <see cref="ParallelRunner.Threads"/> give bit-identical weights (the kernels chunk by size and thread
/// count only, and combine partial sums in chunk order).</para>
/// </remarks>
public sealed class Trainer
{
    private readonly Parameter[] _parameters;
    private float? _clipGradNorm, _clipGradValue;
    private DataLoader? _evaluationLoader;

    public Trainer(Module model, Loss loss, Optimizer optimizer)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _parameters = model.NamedParameters().Select(p => p.Parameter).ToArray();
    }

    public Module Model { get; }
    public Loss Loss { get; }
    public Optimizer Optimizer { get; }

    /// <summary>When set, gradients are scaled to this global L2 norm before each step
    /// (<see cref="GradientClipping.ClipByGlobalNorm"/>).</summary>
    public float? ClipGradNorm
    {
        get => _clipGradNorm;
        set => _clipGradNorm = value is < 0 or float.NaN ? throw new ArgumentOutOfRangeException(nameof(ClipGradNorm), value, "must be ≥ 0") : value;
    }

    /// <summary>When set, gradient elements are clamped to ±this value before each step (applied before
    /// <see cref="ClipGradNorm"/> when both are set).</summary>
    public float? ClipGradValue
    {
        get => _clipGradValue;
        set => _clipGradValue = value is < 0 or float.NaN ? throw new ArgumentOutOfRangeException(nameof(ClipGradValue), value, "must be ≥ 0") : value;
    }

    /// <summary>The global gradient norm before clipping, from the last step (NaN without norm clipping).</summary>
    public float LastGradientNorm { get; private set; } = float.NaN;

    /// <summary>The model output of the last <see cref="TrainStep"/> (owned by the model, overwritten by its next call).</summary>
    public Tensor? LastOutput { get; private set; }

    /// <summary>
    /// One optimizer step on a batch, in training mode: clear gradients, forward, loss, backward, clip,
    /// optimizer step.
    /// </summary>
    /// <returns>The batch's loss (before the update).</returns>
    public float TrainStep(Tensor x, Tensor y)
    {
        float loss = ForwardBackward(x, y);
        ClipAndStep();
        return loss;
    }

    /// <summary>The first half of <see cref="TrainStep"/>: clear gradients, forward, loss, backward.</summary>
    internal float ForwardBackward(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (!Model.Training) Model.Train();
        for (int i = 0; i < _parameters.Length; i++) _parameters[i].Grad.Clear();
        Model.NeedsInputGradient = false; // nobody consumes dL/dx of the network input
        var output = Model.Forward(x);
        LastOutput = output;
        float loss = Loss.Forward(output, y);
        Model.Backward(Loss.Backward());
        return loss;
    }

    /// <summary>The second half of <see cref="TrainStep"/>: clip the gradients, take the optimizer step.</summary>
    internal void ClipAndStep()
    {
        if (_clipGradValue is { } value) GradientClipping.ClipByValue(_parameters, value);
        if (_clipGradNorm is { } norm) LastGradientNorm = GradientClipping.ClipByGlobalNorm(_parameters, norm);
        Optimizer.Step();
    }

    /// <summary>Trains on <paramref name="train"/> as <paramref name="options"/> say (one epoch by default).</summary>
    public FitResult Fit(DataLoader train, FitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new FitOptions();
        options.Validate();
        // A resumed run keeps the generators its checkpoint restored.
        if (options.Seed is { } seed && options.ResumeFrom is null) SeedStochasticLayers(seed);
        return new FitLoop(this, train, options).Run();
    }

    /// <summary>
    /// Mean loss and accuracy over <paramref name="data"/> in eval mode (running BN statistics, no
    /// dropout); the previous mode is restored afterwards.
    /// </summary>
    public EvalResult Evaluate(InMemoryDataset data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (data.Count == 0) throw new ArgumentException($"dataset '{data.Name}' is empty", nameof(data));
        if (_evaluationLoader is null || !ReferenceEquals(_evaluationLoader.Dataset, data) || _evaluationLoader.BatchSize != batchSize)
            _evaluationLoader = new DataLoader(data, batchSize, shuffle: false);
        var loader = _evaluationLoader;
        bool wasTraining = Model.Training;
        if (wasTraining) Model.Eval();
        try
        {
            loader.StartEpoch();
            double lossSum = 0;
            long correct = 0;
            int count = 0;
            bool classification = true;
            while (loader.TryNextBatch(out var x, out var y))
            {
                var output = Model.Forward(x);
                int rows = x.Dim(0);
                lossSum += (double)Loss.Forward(output, y) * rows;
                int? batchCorrect = CountCorrect(output, y);
                classification &= batchCorrect.HasValue;
                correct += batchCorrect ?? 0;
                count += rows;
            }
            return new EvalResult(lossSum / count, classification ? (double)correct / count : null, count);
        }
        finally
        {
            if (wasTraining) Model.Train();
        }
    }

    /// <summary>The model's output for <paramref name="x"/> in eval mode, copied (the previous mode is restored).</summary>
    public Tensor Predict(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        bool wasTraining = Model.Training;
        if (wasTraining) Model.Eval();
        try { return Model.Forward(x).Clone(); }
        finally { if (wasTraining) Model.Train(); }
    }

    /// <summary>Correct predictions in a batch, or null when the batch is not classification
    /// (scores [N, classes ≥ 2] against class indices [N]).</summary>
    internal static int? CountCorrect(Tensor output, Tensor targets)
    {
        if (output.Rank != 2 || targets.Rank != 1 || output.Dim(1) < 2 || output.Dim(0) != targets.Dim(0)) return null;
        return Classification.CountCorrect(output.Span, output.Dim(0), output.Dim(1), targets.Span);
    }

    private void SeedStochasticLayers(ulong seed)
    {
        var master = new Rng(seed);
        foreach (var (_, module) in Model.NamedModules())
            if (module is IStochastic stochastic) stochastic.Generator = master.Fork();
    }
}

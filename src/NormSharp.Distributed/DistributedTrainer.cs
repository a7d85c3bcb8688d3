using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Distributed;

/// <summary>
/// Data-parallel training (PyTorch's <c>DistributedDataParallel</c>): every rank holds a full replica,
/// runs forward and backward on its shard of the global batch, the gradients are summed over ranks
/// (<see cref="GradientAllreducer"/>), and every rank applies the identical optimizer step — so the
/// replicas stay equal without ever exchanging weights.
/// </summary>
/// <remarks>
/// <para>Scaling: each rank's loss is the mean over its n_r examples; its gradient is multiplied by
/// n_r / n before the backward pass, so the summed gradient is exactly the gradient of the mean loss over
/// the global batch of n — the single-process gradient — even when shards differ in size (DDP averages
/// per-rank means, which is exact only for equal shards). With <see cref="SyncBatchNorm1d"/>/2d layers
/// (<see cref="SyncBatchNorm.Convert"/>) the whole computation equals the single-process one up to
/// floating-point summation order; with plain BN each rank normalises with its own shard's statistics,
/// which is a different (ghost-batch-like) model.</para>
/// <para>Parameters and buffers are broadcast from rank 0 on construction (DDP does the same), so
/// replicas start equal even if their initialisation differed.</para>
/// <para>Gradient clipping, when set, acts on the summed (global) gradient, identically on every rank.</para>
/// </remarks>
public sealed class DistributedTrainer
{
    private readonly Parameter[] _parameters;
    private readonly GradientAllreducer _allreducer;
    private readonly double[] _metrics = new double[3];
    private float? _clipGradNorm;

    public DistributedTrainer(Module model, Loss loss, Optimizer optimizer, ICommunicator communicator,
        int bucketElements = GradientAllreducer.DefaultBucketElements)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        Communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        Trainer = new Trainer(model, loss, optimizer);
        _parameters = model.NamedParameters().Select(p => p.Parameter).ToArray();
        var known = new HashSet<Parameter>(_parameters, ReferenceEqualityComparer.Instance);
        foreach (var p in optimizer.Parameters)
            if (!known.Contains(p))
                throw new ArgumentException("the optimizer holds a parameter that is not in the model (was it built before SyncBatchNorm.Convert?)", nameof(optimizer));
        _allreducer = new GradientAllreducer(communicator, _parameters.Where(p => p.RequiresGrad), bucketElements);
        BroadcastState();
    }

    public ICommunicator Communicator { get; }

    /// <summary>An ordinary trainer over the same model, loss and optimizer: evaluation, prediction and
    /// <see cref="Serialization.Checkpoint"/> use it.</summary>
    public Trainer Trainer { get; }

    public Module Model => Trainer.Model;
    public Loss Loss => Trainer.Loss;
    public Optimizer Optimizer => Trainer.Optimizer;

    /// <summary>Gradient allreduce calls per step.</summary>
    public int AllreduceCalls => _allreducer.BucketCount;

    /// <summary>Floats each rank allreduces per step.</summary>
    public int AllreducedElements => _allreducer.Elements;

    /// <summary>Seconds spent in the gradient allreduce (packing included) since construction: with
    /// <see cref="AllreducedElements"/> it gives the achieved bandwidth of the interconnect.</summary>
    public double GradientAllreduceSeconds { get; private set; }

    /// <summary>When set, the global gradient is scaled to at most this L2 norm before each step.</summary>
    public float? ClipGradNorm
    {
        get => _clipGradNorm;
        set => _clipGradNorm = value is < 0 or float.NaN ? throw new ArgumentOutOfRangeException(nameof(ClipGradNorm), value, "must be ≥ 0") : value;
    }

    /// <summary>Copies rank 0's parameters and buffers (running statistics) to every rank — after a restore
    /// that only rank 0 did, say. Called by the constructor.</summary>
    public void BroadcastState()
    {
        if (Communicator.Size == 1) return;
        foreach (var (_, tensor) in Model.StateDict()) Communicator.Broadcast(tensor.Span);
    }

    /// <summary>
    /// One data-parallel step: clear gradients, forward and backward on this rank's shard, sum gradients
    /// over ranks, clip, optimizer step. Every rank must call it with its shard of the same global batch.
    /// </summary>
    /// <param name="x">This rank's examples.</param>
    /// <param name="y">Their targets.</param>
    /// <param name="globalRows">Examples in the global batch (Σ of the shards).</param>
    public DistributedStepResult TrainStep(Tensor x, Tensor y, int globalRows)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int rows = x.Dim(0);
        if (rows < 1 || rows > globalRows)
            throw new ArgumentException($"shard of {rows} examples for a global batch of {globalRows}", nameof(x));
        var model = Model;
        if (!model.Training) model.Train();
        for (int i = 0; i < _parameters.Length; i++) _parameters[i].Grad.Clear();
        model.NeedsInputGradient = false;
        var output = model.Forward(x);
        float loss = Loss.Forward(output, y);
        int? correct = CountCorrect(output, y);
        var gradient = Loss.Backward();
        // d(mean over n)/d(output) = (n_r / n)·d(mean over n_r)/d(output): summing over ranks then gives the global gradient.
        if (rows != globalRows) System.Numerics.Tensors.TensorPrimitives.Multiply(gradient.Span, (float)((double)rows / globalRows), gradient.Span);
        model.Backward(gradient);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        _allreducer.SumGradients();
        GradientAllreduceSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (_clipGradNorm is { } norm) GradientClipping.ClipByGlobalNorm(_parameters, norm);
        Optimizer.Step();

        _metrics[0] = (double)loss * rows;
        _metrics[1] = correct ?? 0;
        _metrics[2] = correct is null ? 1 : 0; // ranks that could not count: any makes the step non-classification
        Communicator.AllreduceSum(_metrics);
        return new DistributedStepResult(_metrics[0] / globalRows, _metrics[2] == 0 ? (long)_metrics[1] : null, globalRows);
    }

    /// <summary>Correct predictions (scores [N, classes ≥ 2] against class indices [N]); null otherwise — the rule of <see cref="Trainer"/>.</summary>
    private static int? CountCorrect(Tensor output, Tensor targets)
    {
        if (output.Rank != 2 || targets.Rank != 1 || output.Dim(1) < 2 || output.Dim(0) != targets.Dim(0)) return null;
        return Kernels.Classification.CountCorrect(output.Span, output.Dim(0), output.Dim(1), targets.Span);
    }
}

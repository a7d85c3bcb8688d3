using System.Diagnostics;
using NormSharp.Cli.Reporting;
using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;
using NormSharp.Training;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// Measures the test accuracy of a training run at every history record of <see cref="Trainer.Fit"/>,
/// up to three ways: in eval mode (running statistics, as the seed's evaluation), with batch statistics
/// (train-mode BN on test batches), and after precise-BN recalibration. The last two leave the run's
/// running statistics exactly as they were, so measuring does not change training. Its own time is
/// kept apart, so the run's training seconds exclude it; it stops the run on divergence and, if asked,
/// once every measured accuracy has reached the target.
/// </summary>
internal sealed class AccuracyProbe : ITrainingCallback
{
    private readonly MlpRunSpec _spec;
    private readonly Trainer _trainer;
    private readonly InMemoryDataset _test;
    private readonly IReadOnlyList<Tensor> _recalibration;
    private readonly BatchNormBase[] _batchNorms;
    private readonly IProgressTask _task;
    private readonly Stopwatch _clock = new();
    private double _probeSeconds;
    private DataLoader? _testBatches;

    public AccuracyProbe(MlpRunSpec spec, Trainer trainer, InMemoryDataset test, IReadOnlyList<Tensor> recalibration, IProgressTask task)
    {
        _spec = spec;
        _trainer = trainer;
        _test = test;
        _recalibration = recalibration;
        _task = task;
        _batchNorms = trainer.Model.NamedModules().Select(m => m.Module).OfType<BatchNormBase>().ToArray();
    }

    /// <summary>The points measured so far.</summary>
    public List<MlpPoint> Points { get; } = [];

    /// <summary>Whether the loss went NaN/∞.</summary>
    public bool Diverged { get; private set; }

    /// <summary>Training seconds so far (measurements excluded).</summary>
    public double TrainSeconds => _clock.Elapsed.TotalSeconds - _probeSeconds;

    /// <summary>Starts the training clock (call right before <see cref="Trainer.Fit"/>).</summary>
    public void StartClock() => _clock.Start();

    /// <summary>Measures a point outside <see cref="Trainer.Fit"/> (step 0, before training).</summary>
    public MlpPoint Measure(long step, double trainLoss)
    {
        long start = Stopwatch.GetTimestamp();
        double seconds = TrainSeconds;
        double eval = _trainer.Evaluate(_test).Accuracy ?? double.NaN;
        bool bn = _batchNorms.Length > 0;
        double batchStats = bn && _spec.MeasureBatchStatistics ? WithRunningStatisticsKept(BatchStatisticsAccuracy) : double.NaN;
        double recalibrated = bn && _spec.MeasureRecalibrated ? WithRunningStatisticsKept(RecalibratedAccuracy) : double.NaN;
        var point = new MlpPoint(step, seconds, trainLoss, eval, batchStats, recalibrated);
        Points.Add(point);
        // Only time spent while the training clock runs is taken off it (step 0 is measured before it starts).
        if (_clock.IsRunning) _probeSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        return point;
    }

    void ITrainingCallback.OnStepEnd(TrainingProgress progress)
    {
        _task.Increment();
        if (!float.IsFinite(progress.Loss))
        {
            Diverged = true;
            progress.RequestStop($"loss {progress.Loss} at step {progress.Step}: diverged");
        }
    }

    void ITrainingCallback.OnEvaluation(TrainingProgress progress, FitRecord record)
    {
        // Fit records every EvaluateEvery steps and once after the last step (a record off that grid).
        bool last = record.Step >= _spec.MaxSteps || record.Step % _spec.EvaluateEvery != 0;
        if (!last && !_spec.MeasuresAt(record.Step)) return;
        var point = Measure(record.Step, record.TrainLoss);
        if (!_spec.StopAtTarget) return;
        bool all = point.EvalAccuracy >= _spec.Target
                   && (double.IsNaN(point.BatchStatAccuracy) || Reached(p => p.BatchStatAccuracy))
                   && (double.IsNaN(point.RecalibratedAccuracy) || Reached(p => p.RecalibratedAccuracy));
        if (all) progress.RequestStop($"every measured accuracy reached {_spec.Target:P0} by step {record.Step}");
    }

    private bool Reached(Func<MlpPoint, double> accuracy) => Points.Any(p => accuracy(p) >= _spec.Target);

    /// <summary>Accuracy of the network in training mode on test batches of the training batch size: each
    /// batch normalised by its own mean and variance, as the training-mode network sees its inputs.</summary>
    private double BatchStatisticsAccuracy()
    {
        var model = _trainer.Model;
        _testBatches ??= new DataLoader(_test, Math.Min(_spec.BatchSize, _test.Count), shuffle: false, dropLast: true);
        bool wasTraining = model.Training;
        model.Train();
        try
        {
            _testBatches.StartEpoch();
            long correct = 0, count = 0;
            while (_testBatches.TryNextBatch(out var x, out var y))
            {
                var output = model.Forward(x);
                correct += Classification.CountCorrect(output.Span, output.Dim(0), output.Dim(1), y.Span);
                count += x.Dim(0);
            }
            return (double)correct / count;
        }
        finally { model.Train(wasTraining); }
    }

    /// <summary>Eval-mode accuracy after replacing the running statistics by precise population statistics.</summary>
    private double RecalibratedAccuracy()
    {
        PreciseBatchNorm.Recalibrate(_trainer.Model, _recalibration);
        return _trainer.Evaluate(_test).Accuracy ?? double.NaN;
    }

    /// <summary>Runs <paramref name="measure"/> and puts every BN layer's running statistics back afterwards.</summary>
    private double WithRunningStatisticsKept(Func<double> measure)
    {
        var saved = _batchNorms.Select(bn => (Mean: bn.RunningMean!.Clone(), Var: bn.RunningVar!.Clone(), Count: bn.NumBatchesTracked!.Clone())).ToArray();
        try { return measure(); }
        finally
        {
            for (int i = 0; i < _batchNorms.Length; i++)
            {
                _batchNorms[i].RunningMean!.CopyFrom(saved[i].Mean);
                _batchNorms[i].RunningVar!.CopyFrom(saved[i].Var);
                _batchNorms[i].NumBatchesTracked!.CopyFrom(saved[i].Count);
            }
        }
    }
}

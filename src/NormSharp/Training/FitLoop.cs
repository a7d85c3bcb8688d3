using System.Diagnostics;
using NormSharp.Data;

namespace NormSharp.Training;

/// <summary>One run of <see cref="Trainer.Fit"/>: the epoch/step loop, metrics and callbacks.</summary>
internal sealed class FitLoop(Trainer trainer, DataLoader train, FitOptions options)
{
    private readonly List<FitRecord> _history = [];
    private readonly TrainingProgress _progress = new(trainer);
    private readonly NumericGuard? _guard = options.OnNonFinite == NonFinitePolicy.Ignore ? null : new NumericGuard(trainer, options.OnNonFinite);
    private long _skippedBatches;
    private int _consecutiveSkips;
    private double _evaluationSeconds;
    // Running sums since the previous record.
    private double _lossSum;
    private long _correct, _classifiedExamples, _windowExamples, _windowSteps;
    private bool _classification = true;
    private double _windowStartTrainSeconds;

    public FitResult Run()
    {
        int maxEpochs = options.Epochs ?? (options.MaxSteps.HasValue ? int.MaxValue : 1);
        long maxSteps = options.MaxSteps ?? long.MaxValue;
        var callbacks = options.Callbacks;
        int epoch = 0;
        bool continueEpoch = false;
        if (options.ResumeFrom is { } start)
        {
            _progress.Step = start.Step;
            _progress.Epoch = epoch = start.Epoch;
            _progress.StepInEpoch = start.StepInEpoch;
            if (start.EpochEndPending) EndEpoch(record: false); // its steps' metrics died with the interrupted process
            continueEpoch = start.StepInEpoch > 0 && start.StepInEpoch < train.BatchesPerEpoch;
            if (continueEpoch) epoch--; // the loop below re-enters the saved epoch
        }
        while (epoch < maxEpochs && _progress.Step < maxSteps && !_progress.StopRequested)
        {
            epoch++;
            _progress.Epoch = epoch;
            if (continueEpoch) continueEpoch = false; // finish the saved epoch in its saved order
            else
            {
                _progress.StepInEpoch = 0;
                train.StartEpoch();
            }
            bool epochComplete = true;
            while (train.TryNextBatch(out var x, out var y))
            {
                if (!TrainOneStep(x, y)) continue; // a skipped batch: no step, no callbacks
                for (int i = 0; i < callbacks.Count; i++) callbacks[i].OnStepEnd(_progress);
                if (options.EvaluateEverySteps is { } every && _progress.Step % every == 0) Record();
                if (_progress.StopRequested || _progress.Step >= maxSteps)
                {
                    epochComplete = _progress.StepInEpoch == train.BatchesPerEpoch;
                    break;
                }
            }
            if (_progress.StepInEpoch == 0)
                throw new InvalidOperationException($"the data loader over '{train.Dataset.Name}' yielded no batch (dataset of {train.Dataset.Count}, batch {train.BatchSize}, drop-last {train.DropLast})");
            if (!epochComplete) break;
            EndEpoch();
        }
        if (_windowSteps > 0) Record(); // the steps after the last evaluation point
        double elapsed = _progress.ElapsedSeconds;
        return new FitResult(_history, _progress.Step, epoch, _progress.StopReason, elapsed,
            elapsed - _evaluationSeconds, _progress.Examples, _skippedBatches);
    }

    /// <summary>The end-of-epoch work: a record (per-epoch evaluation), epoch callbacks, the schedule's step.</summary>
    private void EndEpoch(bool record = true)
    {
        if (record && options.EvaluateEverySteps is null) Record();
        var callbacks = options.Callbacks;
        for (int i = 0; i < callbacks.Count; i++) callbacks[i].OnEpochEnd(_progress);
        options.Scheduler?.Step();
    }

    /// <summary>One batch; false when the numeric guard skipped it.</summary>
    private bool TrainOneStep(Tensor x, Tensor y)
    {
        float loss;
        if (_guard is null) loss = trainer.TrainStep(x, y);
        else
        {
            _guard.BeforeStep();
            loss = trainer.ForwardBackward(x, y);
            if (_guard.CheckLossAndGradients(x, y, loss) is { } fault)
            {
                if (_guard.Policy == NonFinitePolicy.Stop || ++_consecutiveSkips > options.MaxConsecutiveSkips)
                    throw Fault(_guard.Policy == NonFinitePolicy.Stop ? fault
                        : fault with { Where = fault.Where + $"; {_consecutiveSkips} batches in a row were non-finite, so skipping cannot help" });
                _guard.RestoreBuffers();
                _progress.StepInEpoch++; // the batch is consumed, the step is not taken
                _skippedBatches++;
                return false;
            }
            _consecutiveSkips = 0;
            trainer.ClipAndStep();
            if (_guard.CheckWeights() is { } broken) throw Fault(broken);
        }
        int rows = x.Dim(0);
        int? correct = Trainer.CountCorrect(trainer.LastOutput!, y);
        _progress.Step++;
        _progress.StepInEpoch++;
        _progress.Examples += rows;
        _progress.Loss = loss;
        _progress.BatchAccuracy = correct is { } c ? (double)c / rows : null;
        _lossSum += loss;
        _windowSteps++;
        _windowExamples += rows;
        if (correct is { } k) { _correct += k; _classifiedExamples += rows; }
        else _classification = false;
        return true;
    }

    private NonFiniteTrainingException Fault(NumericFault fault) =>
        new(fault, _progress.Step + 1, _progress.Epoch, _progress.StepInEpoch + 1);

    /// <summary>Closes the current window: evaluates the validation set, appends a record, calls back.</summary>
    private void Record()
    {
        double trainSeconds = _progress.ElapsedSeconds - _evaluationSeconds;
        double windowSeconds = trainSeconds - _windowStartTrainSeconds;
        EvalResult? validation = null;
        if (options.Validation is { } data)
        {
            long start = Stopwatch.GetTimestamp();
            validation = trainer.Evaluate(data, options.ValidationBatchSize);
            _evaluationSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        var record = new FitRecord(
            _progress.Step,
            _progress.Epoch,
            _windowSteps > 0 ? _lossSum / _windowSteps : double.NaN,
            _classification && _classifiedExamples > 0 ? (double)_correct / _classifiedExamples : null,
            validation?.Loss,
            validation?.Accuracy,
            _progress.ElapsedSeconds,
            windowSeconds > 0 ? _windowExamples / windowSeconds : 0,
            trainer.Optimizer.LearningRate);
        _history.Add(record);
        _lossSum = 0;
        _correct = _classifiedExamples = _windowExamples = _windowSteps = 0;
        _classification = true;
        _windowStartTrainSeconds = trainSeconds;
        var callbacks = options.Callbacks;
        for (int i = 0; i < callbacks.Count; i++) callbacks[i].OnEvaluation(_progress, record);
    }
}

using System.Diagnostics;
using NormSharp.Data;
using NormSharp.Distributed;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// The epoch/step loop of <c>train --distributed</c>, step for step the loop of <see cref="Trainer.Fit"/>
/// (epochs, --steps, records per epoch or every --eval-every steps, the schedule stepped per epoch, resume
/// inside an epoch), with <see cref="DistributedTrainer.TrainStep"/> on this rank's shard in place of the
/// single-process step. Every rank runs it; the step results are global, so every rank takes the same path.
/// </summary>
internal sealed class DistributedFitLoop(
    TrainSettings s, DistributedTrainer trainer, ShardedBatchLoader shards, LearningRateScheduler? schedule,
    InMemoryDataset? validation, bool isRoot, Action<string> line, Action<TrainingPosition> checkpoint)
{
    private readonly List<FitRecord> _records = [];
    private readonly float[] _stop = new float[1];
    private readonly Stopwatch _clock = new();
    private long _step, _examples, _windowSteps, _windowExamples, _correct, _classified;
    private int _epoch, _stepInEpoch;
    private double _lossSum, _evaluationSeconds, _windowStart, _lastLine;
    private bool _classification = true;
    private string? _stopReason;

    /// <summary>Rank 0's records (empty on the other ranks).</summary>
    public IReadOnlyList<FitRecord> Records => _records;

    public sealed record Result(long Steps, long Examples, double Seconds, TrainingPosition Position, FitRecord? Last, string? StopReason, bool NonFinite);

    public Result Run(TrainingPosition? resume)
    {
        var loader = shards.Global;
        int maxEpochs = s.Epochs ?? (s.Steps.HasValue ? int.MaxValue : 1);
        long maxSteps = s.Steps ?? long.MaxValue;
        bool continueEpoch = false;
        if (resume is not null)
        {
            (_step, _epoch, _stepInEpoch) = (resume.Step, resume.Epoch, resume.StepInEpoch);
            if (resume.EpochEndPending) schedule?.Step(); // as Fit: the epoch's end ran, its record died with the process
            continueEpoch = _stepInEpoch > 0 && _stepInEpoch < loader.BatchesPerEpoch;
            if (continueEpoch) _epoch--;
        }
        _clock.Start();
        bool complete = true;
        while (_epoch < maxEpochs && _step < maxSteps && _stopReason is null)
        {
            _epoch++;
            if (continueEpoch) continueEpoch = false;
            else
            {
                _stepInEpoch = 0;
                shards.StartEpoch();
            }
            complete = true;
            while (shards.TryNextShard(out var x, out var y, out int rows))
            {
                var step = trainer.TrainStep(x, y, rows);
                _step++;
                _stepInEpoch++;
                if (!double.IsFinite(step.Loss))
                    return new Result(_step, _examples, TrainSeconds, new TrainingPosition(_step, _epoch, _stepInEpoch), _records.LastOrDefault(), null, NonFinite: true);
                Count(step);
                if (s.CheckpointPath is not null && s.CheckpointEvery is { } every && _step % every == 0)
                    checkpoint(new TrainingPosition(_step, _epoch, _stepInEpoch, _stepInEpoch == loader.BatchesPerEpoch));
                if (s.EvalEvery is { } evalEvery && _step % evalEvery == 0) Record();
                if (_stopReason is not null || _step >= maxSteps)
                {
                    complete = _stepInEpoch == loader.BatchesPerEpoch;
                    break;
                }
            }
            if (_stepInEpoch == 0)
                throw new TrainRuntimeException($"the data loader over '{loader.Dataset.Name}' yielded no batch (dataset of {loader.Dataset.Count}, global batch {loader.BatchSize})");
            if (!complete) break;
            if (s.EvalEvery is null) Record();
            schedule?.Step();
        }
        if (_windowSteps > 0) Record();
        int inEpoch = Math.Min((loader.Position + loader.BatchSize - 1) / loader.BatchSize, loader.BatchesPerEpoch);
        return new Result(_step, _examples, TrainSeconds, new TrainingPosition(_step, _epoch, inEpoch), _records.LastOrDefault(), _stopReason, NonFinite: false);
    }

    private double TrainSeconds => _clock.Elapsed.TotalSeconds - _evaluationSeconds;

    private void Count(DistributedStepResult step)
    {
        _examples += step.Examples;
        _windowExamples += step.Examples;
        _windowSteps++;
        _lossSum += step.Loss;
        if (step.Correct is { } k) { _correct += k; _classified += step.Examples; }
        else _classification = false;
    }

    /// <summary>Closes the window as <see cref="Trainer.Fit"/> does: rank 0 evaluates, records and prints; with
    /// --target-accuracy rank 0's verdict is broadcast so every rank stops at the same step.</summary>
    private void Record()
    {
        double windowSeconds = TrainSeconds - _windowStart;
        if (isRoot)
        {
            EvalResult? v = null;
            if (validation is not null)
            {
                long start = Stopwatch.GetTimestamp();
                v = trainer.Trainer.Evaluate(validation);
                _evaluationSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            var record = new FitRecord(_step, _epoch, _lossSum / _windowSteps,
                _classification && _classified > 0 ? (double)_correct / _classified : null, v?.Loss, v?.Accuracy,
                _clock.Elapsed.TotalSeconds, windowSeconds > 0 ? _windowExamples / windowSeconds : 0, trainer.Optimizer.LearningRate);
            _records.Add(record);
            double elapsed = record.ElapsedSeconds;
            string head = s.EvalEvery is null ? $"Epoch {_epoch}/{TrainConsole.TotalEpochs(s, shards.Global.BatchesPerEpoch)}"
                : $"Step {_step}{(s.Steps is { } total ? "/" + total : "")} (epoch {_epoch})";
            line(TrainConsole.Format(record, elapsed - _lastLine, head));
            _lastLine = elapsed;
            _stop[0] = s.TargetAccuracy is { } target && (v?.Accuracy ?? record.TrainAccuracy) >= target ? 1 : 0;
        }
        if (s.TargetAccuracy is { } t)
        {
            trainer.Communicator.Broadcast(_stop);
            if (_stop[0] != 0) _stopReason = $"target accuracy {t:P1} reached at step {_step}";
        }
        _lossSum = 0;
        _windowSteps = _windowExamples = _correct = _classified = 0;
        _classification = true;
        _windowStart = TrainSeconds;
    }
}

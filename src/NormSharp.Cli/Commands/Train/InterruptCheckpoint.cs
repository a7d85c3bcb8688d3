using System.Runtime.InteropServices;
using NormSharp.Data;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM during training: the signal only raises a flag (a signal handler must not
/// touch the model mid-step); at the end of the current step a checkpoint is written atomically and
/// training stops, so the run can be resumed bit-identically. A second signal ends the process at once.
/// </summary>
internal sealed class InterruptCheckpoint : ITrainingCallback, IDisposable
{
    private readonly string _path;
    private readonly DataLoader _loader;
    private readonly LearningRateScheduler? _scheduler;
    private readonly PosixSignalRegistration[] _registrations;
    private volatile bool _requested;

    public InterruptCheckpoint(string path, DataLoader loader, LearningRateScheduler? scheduler)
    {
        _path = path;
        _loader = loader;
        _scheduler = scheduler;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    /// <summary>The step whose checkpoint was saved after a signal; null when none came.</summary>
    public long? SavedAtStep { get; private set; }

    public string Path => _path;

    private void Handle(PosixSignalContext context)
    {
        if (_requested) return; // the second signal: default handling, the process ends
        _requested = true;
        context.Cancel = true;
    }

    void ITrainingCallback.OnStepEnd(TrainingProgress progress)
    {
        if (!_requested || SavedAtStep is not null) return;
        Checkpoint.Save(_path, progress.Trainer, _loader, TrainingPosition.AtStepEnd(progress, _loader), _scheduler);
        SavedAtStep = progress.Step;
        progress.RequestStop($"interrupted at step {progress.Step}");
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}

using System.Diagnostics;
using System.Globalization;
using NormSharp.Training;

namespace NormSharp.Cli.Commands.Train;

/// <summary>
/// Samples the process's memory during training (the soak test of issue #7): the live managed heap after a
/// full collection, the heap before it (<see cref="GC.GetTotalMemory"/>), committed GC memory, total bytes allocated (flat ⇒ no per-step
/// garbage), collection counts, and the OS view (working set, private bytes) whose growth beyond the GC's
/// committed memory would be native memory (kernel workspaces, SkiaSharp). One CSV row per sample,
/// flushed at once so a killed run keeps its log.
/// </summary>
internal sealed class MemoryLog : ITrainingCallback, IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly double _intervalSeconds;
    private double _nextSample;

    public MemoryLog(string path, double intervalSeconds)
    {
        _intervalSeconds = intervalSeconds;
        _writer = new StreamWriter(path, append: false) { AutoFlush = true };
        _writer.WriteLine("elapsed_s,step,live_bytes,managed_bytes,gc_committed_bytes,allocated_bytes,gen0,gen1,gen2,working_set_bytes,private_bytes");
    }

    /// <summary>First and last samples (live managed bytes after a full collection, working set), for the summary line.</summary>
    public (long Managed, long WorkingSet)? First { get; private set; }
    public (long Managed, long WorkingSet)? Last { get; private set; }
    public int Samples { get; private set; }

    public void Sample(long step)
    {
        long managed = GC.GetTotalMemory(false);
        // A full collection per sample (every few seconds) measures what is really live, so a leak shows as
        // growth rather than hiding among garbage the GC has not needed to collect yet.
        long live = GC.GetTotalMemory(forceFullCollection: true);
        var info = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        long workingSet = process.WorkingSet64;
        _writer.WriteLine(string.Join(',',
            _clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture), step.ToString(CultureInfo.InvariantCulture),
            live.ToString(CultureInfo.InvariantCulture), managed.ToString(CultureInfo.InvariantCulture), info.TotalCommittedBytes.ToString(CultureInfo.InvariantCulture),
            GC.GetTotalAllocatedBytes().ToString(CultureInfo.InvariantCulture),
            GC.CollectionCount(0).ToString(CultureInfo.InvariantCulture), GC.CollectionCount(1).ToString(CultureInfo.InvariantCulture),
            GC.CollectionCount(2).ToString(CultureInfo.InvariantCulture), workingSet.ToString(CultureInfo.InvariantCulture),
            process.PrivateMemorySize64.ToString(CultureInfo.InvariantCulture)));
        First ??= (live, workingSet);
        Last = (live, workingSet);
        Samples++;
    }

    void ITrainingCallback.OnStepEnd(TrainingProgress progress)
    {
        if (_clock.Elapsed.TotalSeconds < _nextSample) return;
        _nextSample = _clock.Elapsed.TotalSeconds + _intervalSeconds;
        Sample(progress.Step);
    }

    public void Dispose() => _writer.Dispose();
}

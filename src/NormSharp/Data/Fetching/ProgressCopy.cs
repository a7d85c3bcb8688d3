namespace NormSharp.Data.Fetching;

/// <summary>Stream copy that reports bytes through <see cref="IProgress{T}"/> at most every 1 MiB.</summary>
internal static class ProgressCopy
{
    public static async Task CopyAsync(Stream source, Stream destination, long? totalBytes,
        Func<long, long?, FetchProgress> report, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long done = 0, lastReport = 0;
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            done += n;
            if (progress is not null && done - lastReport >= 1 << 20)
            {
                progress.Report(report(done, totalBytes));
                lastReport = done;
            }
        }
        progress?.Report(report(done, totalBytes ?? done));
    }

    public static void Copy(Stream source, Stream destination, long? totalBytes,
        Func<long, long?, FetchProgress> report, IProgress<FetchProgress>? progress, CancellationToken cancellationToken) =>
        CopyAsync(source, destination, totalBytes, report, progress, cancellationToken).GetAwaiter().GetResult();
}

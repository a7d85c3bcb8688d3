using System.Net;

namespace NormSharp.Data.Fetching;

/// <summary>
/// A public HTTP mirror serving <c>&lt;base&gt;&lt;file&gt;.gz</c> (torchvision's and Zalando's layout).
/// Downloads stream to disk with progress; a connect timeout and an overall timeout per file keep a dead
/// mirror from hanging the chain.
/// </summary>
public sealed class HttpMirrorSource(string baseUrl) : IDatasetSource
{
    private static readonly HttpClient SharedClient = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AutomaticDecompression = DecompressionMethods.None, // the .gz is the payload, not a transfer encoding
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan, // per-file timeout below
        DefaultRequestHeaders = { { "User-Agent", "NormSharp-dataset-fetch" } },
    };

    public string BaseUrl { get; } = baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/";

    public string Name => $"HTTP {BaseUrl}";

    /// <summary>Longest time one file's download may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public IReadOnlyDictionary<string, string> Fetch(DatasetDescriptor dataset, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken) =>
        FetchAsync(dataset, wanted, workDirectory, progress, cancellationToken).GetAwaiter().GetResult();

    private async Task<IReadOnlyDictionary<string, string>> FetchAsync(DatasetDescriptor dataset, IReadOnlyList<DatasetFile> wanted,
        string workDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in wanted)
        {
            string url = BaseUrl + file.Name + ".gz";
            string destination = Path.Combine(workDirectory, file.Name + ".gz");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            progress?.Report(new(dataset.Name, Name, file.Name, FetchStage.Trying, Message: url));
            try
            {
                using var response = await SharedClient.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    throw new DatasetSourceException($"GET {url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                await using var output = File.Create(destination);
                await ProgressCopy.CopyAsync(body, output, response.Content.Headers.ContentLength,
                    (done, total) => new(dataset.Name, Name, file.Name, FetchStage.Transferring, done, total), progress, timeout.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new DatasetSourceException($"GET {url}: {e.Message}", e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DatasetSourceException($"GET {url}: timed out after {Timeout.TotalSeconds:0} s", e);
            }
            found[file.Name] = destination;
        }
        return found;
    }
}

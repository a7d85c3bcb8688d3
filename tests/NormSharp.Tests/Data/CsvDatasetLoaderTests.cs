using NormSharp.Cli.Data;

namespace NormSharp.Tests.Data;

public sealed class CsvDatasetLoaderTests : IDisposable
{
    private readonly IdxTestFiles _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Csv(string text) => _temp.Write(Guid.NewGuid().ToString("N") + ".csv", System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public void HeaderIsDetectedAndNamedLabelsBecomeSortedClasses()
    {
        var csv = CsvDatasetLoader.Load(Csv("sepal,petal,species\n1.5,0.2,setosa\n6.1,\"2.5\",virginica\n\n5.0,1.0,setosa\n"));
        Assert.Equal(new[] { "sepal", "petal" }, csv.FeatureNames);
        Assert.Equal(new[] { "setosa", "virginica" }, csv.ClassNames);
        Assert.Equal(new[] { 3, 2 }, csv.Dataset.Features.Shape);
        Assert.Equal(new[] { 1.5f, 0.2f, 6.1f, 2.5f, 5.0f, 1.0f }, csv.Dataset.Features.ToArray());
        Assert.Equal(new[] { 0f, 1f, 0f }, csv.Dataset.Targets.ToArray());
        Assert.Equal(2, csv.Dataset.NumClasses);
    }

    [Fact]
    public void HeaderlessNumericFileWithLabelColumnByIndex()
    {
        var csv = CsvDatasetLoader.Load(Csv("2,0.5,1\n0,1.5,2\n"), new CsvDatasetOptions { LabelColumn = "0" });
        Assert.Equal(new[] { "column1", "column2" }, csv.FeatureNames);
        Assert.Equal(new[] { 2f, 0f }, csv.Dataset.Targets.ToArray());
        Assert.Equal(3, csv.Dataset.NumClasses);
    }

    [Fact]
    public void RegressionTargetsAreAColumnVector()
    {
        var csv = CsvDatasetLoader.Load(Csv("x;y\n1;-2.5\n2;3e2\n"), new CsvDatasetOptions { Task = CsvTask.Regression, Delimiter = ";" });
        Assert.Equal(new[] { 2, 1 }, csv.Dataset.Targets.Shape);
        Assert.Equal(new[] { -2.5f, 300f }, csv.Dataset.Targets.ToArray());
    }

    [Fact]
    public void NonNumericFeatureNamesFileLineAndColumn()
    {
        string path = Csv("a,b,label\n1,2,0\n3,oops,1\n");
        var e = Assert.Throws<CsvDataException>(() => CsvDatasetLoader.Load(path));
        Assert.Equal(3, e.Line);
        Assert.Contains(path, e.Message);
        Assert.Contains("line 3: column 'b' (1): 'oops' is not a number", e.Message);
    }

    [Fact]
    public void RaggedRowNamesItsLine()
    {
        var e = Assert.Throws<CsvDataException>(() => CsvDatasetLoader.Load(Csv("a,b,label\n1,2,0\n\n1,2\n")));
        Assert.Equal(4, e.Line); // the blank line still counts
        Assert.Contains("2 fields, expected 3 (as the header)", e.Message);
    }

    [Fact]
    public void BadLabelsAndColumnsAreExplained()
    {
        Assert.Contains("label '-1' is not a class index",
            Assert.Throws<CsvDataException>(() => CsvDatasetLoader.Load(Csv("1,2,0\n1,2,-1\n"))).Message);
        Assert.Contains("label column 'kind' not found; columns are a, b, c",
            Assert.Throws<CsvDataException>(() => CsvDatasetLoader.Load(Csv("a,b,c\n1,2,3\n"), new CsvDatasetOptions { LabelColumn = "kind" })).Message);
        Assert.Contains("the file is empty", Assert.Throws<CsvDataException>(() => CsvDatasetLoader.Load(Csv(""))).Message);
        Assert.Contains("not followed by any data row", Assert.Throws<CsvDataException>(() => CsvDatasetLoader.Load(Csv("a,b\n"))).Message);
        Assert.Contains("target 'high' is not a number", Assert.Throws<CsvDataException>(() =>
            CsvDatasetLoader.Load(Csv("x,y\n1,high\n"), new CsvDatasetOptions { Task = CsvTask.Regression })).Message);
    }
}

using NormSharp.Data;

namespace NormSharp.Tests.Data;

public class DatasetTransformsTests
{
    private static InMemoryDataset Digits(int n)
    {
        var x = new Tensor(n, 2);
        var y = new Tensor(n);
        for (int i = 0; i < n; i++) { x[i, 0] = i; x[i, 1] = -i; y[i] = i % 10; }
        return new InMemoryDataset("digits", x, y, 10);
    }

    [Fact]
    public void ClassFilterKeepsOrderAndLabels()
    {
        var subset = DatasetTransforms.FilterClasses(Digits(30), [0, 1, 2, 3, 4]);
        Assert.Equal(15, subset.Count);
        Assert.Equal(10, subset.NumClasses);
        Assert.Equal(new[] { 0f, 1, 2, 3, 4, 10, 11 }, subset.Features.ToArray().Where((_, i) => i % 2 == 0).Take(7));
        Assert.All(subset.Targets.ToArray(), t => Assert.InRange(t, 0, 4));
    }

    [Fact]
    public void ClassFilterRelabelsToTheGivenOrder()
    {
        var subset = DatasetTransforms.FilterClasses(Digits(20), [7, 5], relabel: true);
        Assert.Equal(2, subset.NumClasses);
        Assert.Equal(new[] { 1f, 0, 1, 0 }, subset.Targets.ToArray()); // 5→1, 7→0 in original order 5,7,15,17
        Assert.Equal(5f, subset.Features[0, 0]);
    }

    [Fact]
    public void ClassFilterRejectsBadClasses()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetTransforms.FilterClasses(Digits(10), [10]));
        Assert.Throws<ArgumentException>(() => DatasetTransforms.FilterClasses(Digits(10), [1, 1]));
        Assert.Throws<ArgumentException>(() => DatasetTransforms.FilterClasses(SyntheticData.QuadraticRegression(), [0]));
    }

    [Fact]
    public void TrainValidationSplitIsADisjointSeededPartition()
    {
        var data = Digits(100);
        var (train, validation) = DatasetTransforms.TrainValidationSplit(data, 0.2, seed: 9);
        Assert.Equal(80, train.Count);
        Assert.Equal(20, validation.Count);
        var seen = train.Features.ToArray().Where((_, i) => i % 2 == 0).Concat(validation.Features.ToArray().Where((_, i) => i % 2 == 0)).ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (float)i), seen.Order());
        var again = DatasetTransforms.TrainValidationSplit(data, 0.2, seed: 9);
        Assert.Equal(validation.Features.ToArray(), again.Validation.Features.ToArray());
        Assert.NotEqual(validation.Features.ToArray(), DatasetTransforms.TrainValidationSplit(data, 0.2, seed: 10).Validation.Features.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetTransforms.TrainValidationSplit(data, 1.0));
    }

    [Fact]
    public void StandardizeUsesTheGivenStatistics()
    {
        var data = Digits(10);
        var (mean, std) = DatasetTransforms.FeatureMeanStd(data);
        Assert.Equal(0f, mean, 5);
        DatasetTransforms.Standardize(data, mean, std);
        var (after, afterStd) = DatasetTransforms.FeatureMeanStd(data);
        Assert.Equal(0f, after, 5);
        Assert.Equal(1f, afterStd, 5);
    }
}

using NormSharp.Kernels;

namespace NormSharp.Tests.Normalization;

/// <summary>Reductions are blocked by shape only and combined in block order: the results (the fused
/// training kernels' included) are bit-identical for any thread count.</summary>
[Collection(NormalizationSerialCollection.Name)]
public class BatchNormDeterminismTests
{
    [Theory]
    [InlineData(300, 301, 1)]
    [InlineData(70, 3, 1000)]
    public void ResultsDoNotDependOnTheThreadCount(int n, int c, int s)
    {
        var x = BatchNormKernelTests.RandomArray(n * c * s, 1, offset: 2f);
        var dy = BatchNormKernelTests.RandomArray(n * c * s, 2);
        var mean = BatchNormKernelTests.RandomArray(c, 3);
        var runs = new List<double[]>();
        int saved = ParallelRunner.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                ParallelRunner.Threads = threads;
                var (mu, m2, g, p) = (new double[c], new double[c], new double[c], new double[c]);
                BatchNorm.Statistics(x, n, c, s, mu, m2);
                BatchNorm.BackwardReduce(x, dy, n, c, s, mean, g, p);
                var (fm, fq, fi, alpha, shift, y) = (new double[c], new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
                BatchNorm.ForwardTraining(x, n, c, s, alpha: alpha, shift: shift, gamma: default, beta: default, eps: 1e-5, mean: fm, m2: fq, invstd: fi, y: y);
                var (fg, fp, b, k, dx) = (new double[c], new double[c], new float[c], new float[c], new float[x.Length]);
                BatchNorm.BackwardTraining(x, dy, n, c, s, mean, Array.ConvertAll(fi, v => (float)v), alpha, fg, fp, b, k, dx);
                runs.Add([.. mu, .. m2, .. g, .. p, .. fm, .. fq, .. fg, .. fp, .. Array.ConvertAll(y, v => (double)v), .. Array.ConvertAll(dx, v => (double)v)]);
            }
        }
        finally
        {
            ParallelRunner.Threads = saved;
        }
        Assert.Equal(runs[0], runs[1]);
        Assert.Equal(runs[0], runs[2]);
    }
}

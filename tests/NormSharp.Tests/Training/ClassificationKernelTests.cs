using NormSharp.Kernels;

namespace NormSharp.Tests.Training;

public class ClassificationKernelTests
{
    [Fact]
    public void ArgMaxMatchesAPlainLoopOnRandomShapes()
    {
        var rng = new Rng(5);
        foreach (int classes in new[] { 1, 2, 3, 7, 10, 16, 17, 33, 100 })
        {
            int rows = 1 + rng.NextInt(20);
            var scores = new float[rows * classes];
            for (int i = 0; i < scores.Length; i++) scores[i] = rng.NextInt(5); // many ties
            var indices = new int[rows];
            Classification.ArgMaxRows(scores, rows, classes, indices);
            var labels = new float[rows];
            int expectedCorrect = 0;
            for (int r = 0; r < rows; r++)
            {
                int best = 0;
                for (int c = 1; c < classes; c++) if (scores[r * classes + c] > scores[r * classes + best]) best = c;
                Assert.Equal(best, indices[r]); // first maximum wins ties, as torch.argmax
                labels[r] = rng.NextInt(classes);
                if ((int)labels[r] == best) expectedCorrect++;
            }
            Assert.Equal(expectedCorrect, Classification.CountCorrect(scores, rows, classes, labels));
        }
    }

    [Fact]
    public void ShapeMismatchIsRejected()
    {
        Assert.Throws<ArgumentException>(() => Classification.CountCorrect(new float[6], 2, 4, new float[2]));
        Assert.Throws<ArgumentException>(() => Classification.CountCorrect(new float[8], 2, 4, new float[3]));
    }
}

namespace NormSharp.Data;

/// <summary>Seeded synthetic datasets: the seeds' quadratic regression, two moons and Gaussian blobs.</summary>
public static class SyntheticData
{
    /// <summary>
    /// The regression of the BN tutorial (seed 003, Morvan): <c>x = linspace(−7, 10, 500)</c>,
    /// <c>y = x² − 5 + N(0, 8²)</c>; features [N, 1], targets [N, 1].
    /// </summary>
    public static InMemoryDataset QuadraticRegression(int count = 500, float low = -7f, float high = 10f,
        float noiseStd = 8f, ulong seed = 1)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least 2 points for linspace");
        if (noiseStd < 0) throw new ArgumentOutOfRangeException(nameof(noiseStd), noiseStd, "must be non-negative");
        var rng = new Rng(seed);
        var x = new Tensor(count, 1);
        var y = new Tensor(count, 1);
        var xs = x.Span;
        var ys = y.Span;
        for (int i = 0; i < count; i++)
        {
            // numpy.linspace: low + i·(high − low)/(count − 1), endpoint included.
            float v = (float)(low + i * ((double)high - low) / (count - 1));
            xs[i] = v;
            ys[i] = v * v - 5f + rng.NextGaussian(0f, noiseStd);
        }
        return new InMemoryDataset("quadratic", x, y);
    }

    /// <summary>
    /// Two interleaving half circles, as scikit-learn's <c>make_moons</c>: the outer moon (class 0)
    /// (cos t, sin t), the inner one (class 1) (1 − cos t, 0.5 − sin t), t ∈ [0, π] evenly spaced, plus
    /// N(0, noise²) on each coordinate; examples are shuffled. Features [N, 2], labels [N].
    /// </summary>
    public static InMemoryDataset TwoMoons(int count = 1000, float noise = 0.1f, ulong seed = 1)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least 2 points");
        if (noise < 0) throw new ArgumentOutOfRangeException(nameof(noise), noise, "must be non-negative");
        var rng = new Rng(seed);
        int outer = count / 2, inner = count - outer;
        var x = new Tensor(count, 2);
        var y = new Tensor(count);
        var xs = x.Span;
        var ys = y.Span;
        for (int i = 0; i < count; i++)
        {
            bool isOuter = i < outer;
            int k = isOuter ? i : i - outer, m = isOuter ? outer : inner;
            double t = m == 1 ? 0 : Math.PI * k / (m - 1);
            xs[2 * i] = (float)(isOuter ? Math.Cos(t) : 1 - Math.Cos(t)) + rng.NextGaussian(0f, noise);
            xs[2 * i + 1] = (float)(isOuter ? Math.Sin(t) : 0.5 - Math.Sin(t)) + rng.NextGaussian(0f, noise);
            ys[i] = isOuter ? 0 : 1;
        }
        return Shuffled(new InMemoryDataset("two-moons", x, y, 2), rng);
    }

    /// <summary>
    /// Isotropic Gaussian blobs, as scikit-learn's <c>make_blobs</c>: <paramref name="classes"/> centres drawn
    /// uniformly from [−10, 10]^features, examples split evenly between them with N(0, std²) per coordinate;
    /// shuffled. Features [N, features], labels [N].
    /// </summary>
    public static InMemoryDataset Blobs(int count = 1000, int classes = 3, int features = 2, float std = 1f, ulong seed = 1)
    {
        if (count < classes) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least one example per class");
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "need at least one class");
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, "need at least one feature");
        if (std < 0) throw new ArgumentOutOfRangeException(nameof(std), std, "must be non-negative");
        var rng = new Rng(seed);
        var centers = new float[classes * features];
        for (int i = 0; i < centers.Length; i++) centers[i] = rng.NextUniform(-10f, 10f);
        return Blobs(count, centers, features, std, rng);
    }

    /// <summary>Gaussian blobs around the given centres ([classes·features], row per class).</summary>
    public static InMemoryDataset Blobs(int count, ReadOnlySpan<float> centers, int features, float std, ulong seed) =>
        Blobs(count, centers, features, std, new Rng(seed));

    private static InMemoryDataset Blobs(int count, ReadOnlySpan<float> centers, int features, float std, Rng rng)
    {
        if (features < 1 || centers.Length == 0 || centers.Length % features != 0)
            throw new ArgumentException($"{centers.Length} centre coordinates do not make rows of {features} features", nameof(centers));
        int classes = centers.Length / features;
        var x = new Tensor(count, features);
        var y = new Tensor(count);
        var xs = x.Span;
        var ys = y.Span;
        for (int i = 0; i < count; i++)
        {
            int c = (int)((long)i * classes / count); // even split, as make_blobs with an int n_samples
            for (int j = 0; j < features; j++) xs[i * features + j] = centers[c * features + j] + rng.NextGaussian(0f, std);
            ys[i] = c;
        }
        return Shuffled(new InMemoryDataset("blobs", x, y, classes), rng);
    }

    private static InMemoryDataset Shuffled(InMemoryDataset dataset, Rng rng)
    {
        var order = new int[dataset.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        rng.Shuffle(order.AsSpan());
        return dataset.Subset(order, dataset.Name);
    }
}

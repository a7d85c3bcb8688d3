namespace NormSharp.Data;

/// <summary>Dataset-level operations: class subsets, train/validation splits, standardisation.</summary>
public static class DatasetTransforms
{
    /// <summary>
    /// Keeps only the examples whose class is in <paramref name="classes"/> (e.g. digits 0–4 for a transfer
    /// experiment), in their original order. With <paramref name="relabel"/> the kept classes become
    /// 0..k−1 in the order given, and the result has k classes.
    /// </summary>
    public static InMemoryDataset FilterClasses(InMemoryDataset dataset, IReadOnlyList<int> classes, bool relabel = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(classes);
        if (dataset.NumClasses == 0) throw new ArgumentException($"dataset '{dataset.Name}' is not a classification dataset", nameof(dataset));
        if (classes.Count == 0) throw new ArgumentException("at least one class is needed", nameof(classes));
        var map = new int[dataset.NumClasses];
        Array.Fill(map, -1);
        for (int i = 0; i < classes.Count; i++)
        {
            int c = classes[i];
            if (c < 0 || c >= dataset.NumClasses)
                throw new ArgumentOutOfRangeException(nameof(classes), c, $"class is outside [0, {dataset.NumClasses}) of '{dataset.Name}'");
            if (map[c] >= 0) throw new ArgumentException($"class {c} is listed twice", nameof(classes));
            map[c] = i;
        }
        var targets = dataset.Targets.Span;
        var keep = new List<int>();
        for (int i = 0; i < targets.Length; i++)
            if (map[(int)targets[i]] >= 0) keep.Add(i);
        var subset = dataset.Subset(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(keep),
            $"{dataset.Name}[classes {string.Join(",", classes)}]");
        if (!relabel) return subset;
        var relabelled = subset.Targets.Span;
        for (int i = 0; i < relabelled.Length; i++) relabelled[i] = map[(int)relabelled[i]];
        return new InMemoryDataset(subset.Name, subset.Features, subset.Targets, classes.Count);
    }

    /// <summary>
    /// Splits into training and validation parts: a seeded shuffle, then the last
    /// ⌊<paramref name="validationFraction"/>·N⌋ shuffled examples form the validation set.
    /// </summary>
    public static (InMemoryDataset Train, InMemoryDataset Validation) TrainValidationSplit(
        InMemoryDataset dataset, double validationFraction, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in (0, 1)");
        int n = dataset.Count;
        int validation = (int)(n * validationFraction);
        if (validation == 0 || validation == n)
            throw new ArgumentException($"a fraction of {validationFraction} of {n} examples leaves one part empty", nameof(validationFraction));
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Rng(seed).Shuffle(order.AsSpan());
        return (dataset.Subset(order.AsSpan(0, n - validation), dataset.Name + "/train"),
                dataset.Subset(order.AsSpan(n - validation), dataset.Name + "/validation"));
    }

    /// <summary>Mean and (population) standard deviation of every feature value, accumulated in double.</summary>
    public static (float Mean, float Std) FeatureMeanStd(InMemoryDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var x = dataset.Features.Span;
        if (x.Length == 0) throw new ArgumentException($"dataset '{dataset.Name}' is empty", nameof(dataset));
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i];
        double mean = sum / x.Length, squares = 0;
        for (int i = 0; i < x.Length; i++) { double d = x[i] - mean; squares += d * d; }
        return ((float)mean, (float)Math.Sqrt(squares / x.Length));
    }

    /// <summary>In place: x ← (x − mean) / std (the training set's statistics for every split).</summary>
    public static void Standardize(InMemoryDataset dataset, float mean, float std)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "standard deviation must be positive");
        var x = dataset.Features.Span;
        System.Numerics.Tensors.TensorPrimitives.Subtract(x, mean, x);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, 1f / std, x);
    }
}

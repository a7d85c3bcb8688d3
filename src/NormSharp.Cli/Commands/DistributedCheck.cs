using NormSharp.Distributed;
using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Cli.Commands;

/// <summary>
/// What <c>distributed check</c> runs on each rank: a seeded batch (the same on every rank), this rank's
/// shard through a SyncBatchNorm and through a plain BN, one training step, the parameter gradients summed
/// over ranks — compared with BN over the whole batch computed locally.
/// </summary>
internal static class DistributedCheck
{
    /// <summary>Names of the compared quantities, in report order.</summary>
    public static readonly string[] Quantities = ["y", "dx", "weight_grad", "bias_grad", "running_mean", "running_var", "eval_y"];

    /// <summary>The seeded test case: input and upstream gradient of <paramref name="shape"/>, γ and β per channel.
    /// Mean 3 and std 2 per element, so that statistics matter.</summary>
    public static (float[] X, float[] Dy, float[] Gamma, float[] Beta) MakeCase(int[] shape, ulong seed)
    {
        var rng = new Rng(seed);
        int size = shape.Aggregate(1, (a, b) => a * b), c = shape[1];
        var x = new float[size];
        var dy = new float[size];
        for (int i = 0; i < size; i++) x[i] = 3f + 2f * rng.NextGaussian();
        for (int i = 0; i < size; i++) dy[i] = rng.NextGaussian();
        var gamma = new float[c];
        var beta = new float[c];
        for (int i = 0; i < c; i++) { gamma[i] = rng.NextUniform(0.5f, 1.5f); beta[i] = rng.NextUniform(-0.5f, 0.5f); }
        return (x, dy, gamma, beta);
    }

    /// <summary>A BN layer of the case's kind (2d when the shape has 4 dimensions) with its γ and β.</summary>
    public static BatchNormBase MakeLayer(int[] shape, float[] gamma, float[] beta, ICommunicator? sync)
    {
        int c = shape[1];
        BatchNormBase layer = (shape.Length == 4, sync) switch
        {
            (true, null) => new BatchNorm2d(c),
            (false, null) => new BatchNorm1d(c),
            (true, _) => new SyncBatchNorm2d(c) { Communicator = sync },
            (false, _) => new SyncBatchNorm1d(c) { Communicator = sync },
        };
        gamma.CopyTo(layer.WeightParameter!.Value.Span);
        beta.CopyTo(layer.BiasParameter!.Value.Span);
        return layer;
    }

    /// <summary>
    /// One training step (forward, backward) then an eval forward of <paramref name="layer"/> on the given rows;
    /// parameter gradients summed over <paramref name="communicator"/> (the data-parallel allreduce).
    /// </summary>
    public static Dictionary<string, float[]> Step(BatchNormBase layer, int[] shape, float[] x, float[] dy, ICommunicator communicator)
    {
        var input = Tensor.FromArray(x, shape);
        var result = new Dictionary<string, float[]> { ["y"] = layer.Forward(input).ToArray() };
        result["dx"] = layer.Backward(Tensor.FromArray(dy, shape)).ToArray();
        var dw = layer.WeightParameter!.Grad.ToArray();
        var db = layer.BiasParameter!.Grad.ToArray();
        communicator.AllreduceSum(dw);
        communicator.AllreduceSum(db);
        result["weight_grad"] = dw;
        result["bias_grad"] = db;
        result["running_mean"] = layer.RunningMean!.ToArray();
        result["running_var"] = layer.RunningVar!.ToArray();
        layer.Eval();
        result["eval_y"] = layer.Forward(input).ToArray();
        return result;
    }

    /// <summary>
    /// Runs the case on this rank's shard for SyncBN ("sync") and plain BN ("plain") and compares with
    /// whole-batch BN: the largest difference per quantity (<see cref="MaxDifference"/>), maximised over ranks.
    /// </summary>
    public static Dictionary<string, double> Run(int[] shape, ulong seed, ICommunicator communicator, string? dumpFolder)
    {
        var (x, dy, gamma, beta) = MakeCase(shape, seed);
        int rows = shape[0], row = x.Length / rows;
        int start = (int)((long)rows * communicator.Rank / communicator.Size);
        int count = (int)((long)rows * (communicator.Rank + 1) / communicator.Size) - start;
        int[] shardShape = [count, .. shape[1..]];
        var xs = x.AsSpan(start * row, count * row).ToArray();
        var dys = dy.AsSpan(start * row, count * row).ToArray();

        var whole = Step(MakeLayer(shape, gamma, beta, null), shape, x, dy, SingleProcessCommunicator.Instance);
        var results = new Dictionary<string, Dictionary<string, float[]>>
        {
            ["sync"] = Step(MakeLayer(shape, gamma, beta, communicator), shardShape, xs, dys, communicator),
            ["plain"] = Step(MakeLayer(shape, gamma, beta, null), shardShape, xs, dys, communicator),
        };
        if (dumpFolder is not null) Dump(dumpFolder, shape, communicator, start, count, results);

        var names = results.Keys.SelectMany(kind => Quantities.Select(q => kind + "." + q)).ToArray();
        var local = new double[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            var (kind, quantity) = (names[i][..names[i].IndexOf('.')], names[i][(names[i].IndexOf('.') + 1)..]);
            var reference = whole[quantity];
            bool perRow = quantity is "y" or "dx" or "eval_y";
            var expected = perRow ? reference.AsSpan(start * row, count * row) : reference;
            local[i] = MaxDifference(expected, results[kind][quantity]);
        }
        var gathered = new double[names.Length * communicator.Size];
        communicator.AllGather(local, gathered);
        var report = new Dictionary<string, double>();
        for (int i = 0; i < names.Length; i++)
        {
            double max = 0;
            for (int r = 0; r < communicator.Size; r++) max = Math.Max(max, gathered[r * names.Length + i]);
            report[names[i]] = max;
        }
        return report;
    }

    /// <summary>max |actual − expected| / max(1, |expected|): absolute for values up to 1, relative above —
    /// γ's gradient sums thousands of terms, and float32 sums of two halves and of the whole differ in
    /// the last bits of a large number.</summary>
    public static double MaxDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length) return double.PositiveInfinity;
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]) / Math.Max(1.0, Math.Abs((double)expected[i]));
            max = Math.Max(max, double.IsNaN(d) ? double.PositiveInfinity : d);
        }
        return max;
    }

    /// <summary>rank{r}-{1d|2d}.safetensors: every quantity as "sync.*" / "plain.*", with the shard's rows in the metadata.</summary>
    private static void Dump(string folder, int[] shape, ICommunicator communicator, int start, int count,
        Dictionary<string, Dictionary<string, float[]>> results)
    {
        Directory.CreateDirectory(folder);
        var file = new SafetensorsFile();
        file.Metadata["shard_start"] = start.ToString(System.Globalization.CultureInfo.InvariantCulture);
        file.Metadata["shard_count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        file.Metadata["ranks"] = communicator.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (kind, values) in results)
            foreach (var (name, data) in values)
                file.Tensors.Add(kind + "." + name, SafetensorsTensor.FromTensor(Tensor.FromArray(data, data.Length)));
        file.Write(Path.Combine(folder, $"rank{communicator.Rank}-{(shape.Length == 4 ? "2d" : "1d")}.safetensors"));
    }
}

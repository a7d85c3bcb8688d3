using NormSharp.Layers;

namespace NormSharp.Tests.Serialization;

/// <summary>The two reference models of the persistence acceptance (MLP+BN, d2l's LeNet+BN), with
/// non-trivial BN state so a lost or mis-ordered running statistic changes the predictions.</summary>
internal static class PersistenceModels
{
    /// <summary>inputs → 32 → 16 → classes: Dense → BatchNorm1d → ReLU per hidden layer (the seed MLP's layout).</summary>
    public static Sequential MlpBn(int inputs = 20, int classes = 4, ulong seed = 1)
    {
        var rng = new Rng(seed);
        return new Sequential(
            new Dense(inputs, 32, rng: rng), new BatchNorm1d(32), new ReLU(),
            new Dense(32, 16, rng: rng), new BatchNorm1d(16), new ReLU(),
            new Dense(16, classes, rng: rng));
    }

    /// <summary>d2l's LeNet with BatchNorm (sigmoids) on [N,1,28,28] inputs, with a max pooling in the second stage so
    /// both pooling layers are covered.</summary>
    public static Sequential LeNetBn(ulong seed = 1)
    {
        var rng = new Rng(seed);
        return new Sequential(
            new Conv2d(1, 6, 5, rng: rng), new BatchNorm2d(6), new Sigmoid(), new AvgPool2d(2, 2),
            new Conv2d(6, 16, 5, rng: rng), new BatchNorm2d(16), new Sigmoid(), new MaxPool2d(2, 2),
            new Flatten(),
            new Dense(256, 120, rng: rng), new BatchNorm1d(120), new Sigmoid(),
            new Dense(120, 84, rng: rng), new BatchNorm1d(84), new Sigmoid(),
            new Dense(84, 10, rng: rng));
    }

    /// <summary>Gives every BN layer random γ, β, running statistics and batch count (running_var &gt; 0).</summary>
    public static T WithRandomBatchNormState<T>(T model, ulong seed = 7) where T : Module
    {
        var rng = new Rng(seed);
        foreach (var (_, module) in model.NamedModules())
        {
            if (module is not BatchNormBase bn) continue;
            for (int c = 0; c < bn.NumFeatures; c++)
            {
                if (bn.Affine)
                {
                    bn.WeightParameter!.Value[c] = rng.NextUniform(0.5f, 1.5f);
                    bn.BiasParameter!.Value[c] = rng.NextUniform(-0.5f, 0.5f);
                }
                bn.RunningMean![c] = rng.NextUniform(-0.3f, 0.3f);
                bn.RunningVar![c] = rng.NextUniform(0.5f, 2f);
            }
            bn.NumBatchesTracked![0] = 1 + rng.NextInt(1000);
        }
        return model;
    }

    /// <summary>Random inputs of the given shape (uniform in [−1, 1]).</summary>
    public static Tensor Input(ulong seed, params int[] shape)
    {
        var rng = new Rng(seed);
        var x = new Tensor(shape);
        for (int i = 0; i < x.Size; i++) x[i] = rng.NextUniform(-1f, 1f);
        return x;
    }

    /// <summary>Eval-mode output, copied.</summary>
    public static float[] Predict(Module model, Tensor x)
    {
        model.Eval();
        return model.Forward(x).ToArray();
    }

    /// <summary>A fresh temporary directory (deleted by the caller's <c>using</c>).</summary>
    public static TemporaryDirectory TempDir() => new();
}

/// <summary>A directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "normsharp-persist-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

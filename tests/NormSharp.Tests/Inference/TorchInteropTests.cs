using System.Text.Json;
using NormSharp.Layers;
using NormSharp.Serialization;
using NormSharp.Tests.Serialization;

namespace NormSharp.Tests.Inference;

/// <summary>
/// A model saved by NormSharp loads into the equivalent PyTorch model and predicts the same, and the reverse,
/// via tests/interop/check_torch.py run by the system Python: MLP+BN, LeNet+BN and two ResNet blocks (Residual with
/// identity and projection shortcuts, PReLU, RReLU in eval mode, Dropout). Needs Debian's python3-torch (installed by
/// scripts/install-test-deps.sh); without it the tests fail and say how to install it.
/// </summary>
public sealed class TorchInteropTests(TorchInteropTests.Session session) : IClassFixture<TorchInteropTests.Session>
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(180);

    public static TheoryData<string> Models => new() { "mlp", "lenet", "resnet" };

    [Theory]
    [MemberData(nameof(Models))]
    public void PyTorchPredictsTheSameFromANormSharpFile(string name)
    {
        var dir = session.Results();
        var (model, x) = OnnxExportTests.Build(name);
        var torchOutput = SafetensorsFile.Read(Path.Combine(dir, $"{name}.torch-y.safetensors")).Tensors["y"].ToTensor();
        Relative.Close(PersistenceModels.Predict(model, x), torchOutput.ToArray(), $"PyTorch on NormSharp's {name}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void NormSharpPredictsTheSameFromAPyTorchFile(string name)
    {
        var dir = session.Results();
        var (reference, x) = OnnxExportTests.Build(name);
        var file = SafetensorsFile.Read(Path.Combine(dir, $"{name}.torch-model.safetensors"));
        Assert.Equal(SafetensorsDType.I64, file.Tensors["1.num_batches_tracked"].DType);
        var model = ArchitectureJson.Deserialize(ArchitectureJson.Serialize(reference));
        ModelIO.LoadWeights(model, Path.Combine(dir, $"{name}.torch-model.safetensors"), strict: true);
        foreach (var (path, bn) in model.NamedModules().Where(m => m.Module is BatchNormBase).Select(m => (m.Name, (BatchNormBase)m.Module)))
        {
            long count = file.Tensors[path + ".num_batches_tracked"].ToInt64Array()[0];
            Assert.InRange(count, 1, 999);
            Assert.Equal(count, (long)bn.NumBatchesTracked![0]);
            Assert.Equal(file.Tensors[path + ".running_var"].ToTensor().ToArray(), bn.RunningVar!.ToArray());
        }
        var torchOutput = SafetensorsFile.Read(Path.Combine(dir, $"{name}.export-y.safetensors")).Tensors["y"].ToTensor();
        Relative.Close(torchOutput.ToArray(), PersistenceModels.Predict(model, x), $"NormSharp on PyTorch's {name}");
    }

    /// <summary>Writes every model and input, then runs all PyTorch jobs in one Python process (importing torch once).</summary>
    public sealed class Session : IDisposable
    {
        private readonly TemporaryDirectory _dir = PersistenceModels.TempDir();
        private readonly Lazy<string?> _failure;

        public Session() => _failure = new Lazy<string?>(RunAll);

        /// <summary>The folder of results, or a failed assertion saying what is missing or what went wrong.</summary>
        public string Results()
        {
            if (_failure.Value is { } failure) Assert.Fail(failure);
            return _dir.Path;
        }

        public void Dispose() => _dir.Dispose();

        private string? RunAll()
        {
            if (TorchProblem() is { } problem) return problem;
            var jobs = new List<string[]>();
            foreach (string name in new[] { "mlp", "lenet", "resnet" })
            {
                var (model, x) = OnnxExportTests.Build(name);
                string Path(string what) => _dir.File($"{name}.{what}");
                ModelIO.Save(model, Path("model.safetensors"));
                File.WriteAllText(Path("architecture.json"), ArchitectureJson.Serialize(model));
                var input = new SafetensorsFile();
                input.Tensors["x"] = SafetensorsTensor.FromTensor(x);
                input.Write(Path("x.safetensors"));
                jobs.Add(["predict", "--model", Path("model.safetensors"), "--input", Path("x.safetensors"), "--out", Path("torch-y.safetensors")]);
                jobs.Add(["export", "--architecture", Path("architecture.json"), "--seed", "5", "--input", Path("x.safetensors"),
                    "--out-model", Path("torch-model.safetensors"), "--out", Path("export-y.safetensors")]);
            }
            File.WriteAllText(_dir.File("jobs.json"), JsonSerializer.Serialize(jobs));
            string script = System.IO.Path.Combine(ExternalProcess.RepositoryRoot, "tests", "interop", "check_torch.py");
            var (code, output) = ExternalProcess.Run(Python, [script, "batch", "--jobs", _dir.File("jobs.json")], s_timeout);
            return code == 0 ? null : $"check_torch.py exited with {code}:\n{output}";
        }

        private static string? TorchProblem()
        {
            const string install = "run scripts/install-test-deps.sh as root (apt-get install -y python3-torch libopenblas0-pthread)";
            if (!File.Exists(Python)) return $"the PyTorch interop tests need {Python} with torch: {install}";
            var (code, output) = ExternalProcess.Run(Python, ["-c", "import torch"], s_timeout);
            return code == 0 ? null : $"the PyTorch interop tests need torch importable by {Python}: {install}. The import failed: {output.Trim()}";
        }
    }
}

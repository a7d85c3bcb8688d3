using NormSharp.Layers;
using NormSharp.Serialization;
using NormSharp.Tests.Serialization;

namespace NormSharp.Tests.Inference;

/// <summary>
/// A model saved by NormSharp loads into the equivalent PyTorch model and predicts the same, and the reverse,
/// via tests/interop/check_torch.py run by the system Python. Needs Debian's python3-torch (installed by
/// scripts/install-test-deps.sh); without it the tests fail and say how to install it.
/// </summary>
public sealed class TorchInteropTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);
    private static readonly Lazy<string?> s_torchMissing = new(FindTorchProblem);

    public static TheoryData<string> Models => new() { "mlp", "lenet" };

    [Theory]
    [MemberData(nameof(Models))]
    public void PyTorchPredictsTheSameFromANormSharpFile(string name)
    {
        RequireTorch();
        var (model, x) = OnnxExportTests.Build(name);
        using var dir = PersistenceModels.TempDir();
        ModelIO.Save(model, dir.File("model.safetensors"));
        WriteTensor(dir.File("x.safetensors"), "x", x);

        RunScript("predict", "--model", dir.File("model.safetensors"), "--input", dir.File("x.safetensors"), "--out", dir.File("y.safetensors"));

        var torchOutput = SafetensorsFile.Read(dir.File("y.safetensors")).Tensors["y"].ToTensor();
        Relative.Close(PersistenceModels.Predict(model, x), torchOutput.ToArray(), $"PyTorch on NormSharp's {name}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void NormSharpPredictsTheSameFromAPyTorchFile(string name)
    {
        RequireTorch();
        var (reference, x) = OnnxExportTests.Build(name);
        using var dir = PersistenceModels.TempDir();
        string architecture = ArchitectureJson.Serialize(reference);
        File.WriteAllText(dir.File("architecture.json"), architecture);
        WriteTensor(dir.File("x.safetensors"), "x", x);

        RunScript("export", "--architecture", dir.File("architecture.json"), "--seed", "5", "--input", dir.File("x.safetensors"),
            "--out-model", dir.File("torch.safetensors"), "--out", dir.File("y.safetensors"));

        var file = SafetensorsFile.Read(dir.File("torch.safetensors"));
        Assert.Equal(SafetensorsDType.I64, file.Tensors["1.num_batches_tracked"].DType);
        var model = ArchitectureJson.Deserialize(architecture);
        ModelIO.LoadWeights(model, dir.File("torch.safetensors"), strict: true);
        foreach (var (path, bn) in model.NamedModules().Where(m => m.Module is BatchNormBase).Select(m => (m.Name, (BatchNormBase)m.Module)))
        {
            long count = file.Tensors[path + ".num_batches_tracked"].ToInt64Array()[0];
            Assert.InRange(count, 1, 999);
            Assert.Equal(count, (long)bn.NumBatchesTracked![0]);
            Assert.Equal(file.Tensors[path + ".running_var"].ToTensor().ToArray(), bn.RunningVar!.ToArray());
        }
        var torchOutput = SafetensorsFile.Read(dir.File("y.safetensors")).Tensors["y"].ToTensor();
        Relative.Close(torchOutput.ToArray(), PersistenceModels.Predict(model, x), $"NormSharp on PyTorch's {name}");
    }

    private static void RequireTorch()
    {
        if (s_torchMissing.Value is { } problem) Assert.Fail(problem);
    }

    private static string? FindTorchProblem()
    {
        if (!File.Exists(Python))
            return $"the PyTorch interop tests need {Python} with torch: run scripts/install-test-deps.sh as root (apt-get install -y python3-torch libopenblas0-pthread)";
        var (code, output) = ExternalProcess.Run(Python, ["-c", "import torch"], s_timeout);
        return code == 0 ? null
            : $"the PyTorch interop tests need torch importable by {Python}: run scripts/install-test-deps.sh as root " +
              $"(apt-get install -y python3-torch libopenblas0-pthread). The import failed: {output.Trim()}";
    }

    private static void RunScript(params string[] arguments)
    {
        string script = Path.Combine(ExternalProcess.RepositoryRoot, "tests", "interop", "check_torch.py");
        var (code, output) = ExternalProcess.Run(Python, [script, .. arguments], s_timeout);
        Assert.True(code == 0, $"check_torch.py {arguments[0]} exited with {code}:\n{output}");
    }

    private static void WriteTensor(string path, string name, Tensor tensor)
    {
        var file = new SafetensorsFile();
        file.Tensors[name] = SafetensorsTensor.FromTensor(tensor);
        file.Write(path);
    }
}

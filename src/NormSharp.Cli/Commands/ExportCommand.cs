using System.CommandLine;
using System.Globalization;
using NormSharp.Onnx;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp export onnx --model m.safetensors --out m.onnx [--fold-bn] [--input-shape 1,28,28]</c>.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var command = new Command("export", "Export a saved model to another format.");
        command.Subcommands.Add(CreateOnnx());
        return command;
    }

    private static Command CreateOnnx()
    {
        var model = ModelFiles.ModelOption();
        var output = new Option<string>("--out") { Description = "ONNX file to write.", Required = true };
        var fold = new Option<bool>("--fold-bn") { Description = "Fold every BatchNorm into the Dense/Conv2d before it instead of writing BatchNormalization nodes." };
        var shape = new Option<string?>("--input-shape")
        {
            Description = "One example's shape without the batch, e.g. 1,28,28 (default: from the first layer; a convolution's H and W stay symbolic).",
        };
        var command = new Command("onnx", $"Write an eval-mode model as ONNX (opset {OnnxExportOptions.Opset}) for ONNX Runtime and other runtimes.")
        {
            model, output, fold, shape,
        };
        command.SetAction(parse => ModelFiles.Run(() =>
        {
            string path = ModelFiles.OutputPath(parse.GetValue(output)!, "--out");
            var options = new OnnxExportOptions { FoldBatchNorm = parse.GetValue(fold), ExampleShape = ParseShape(parse.GetValue(shape)) };
            var (network, _) = ModelFiles.Load(parse.GetValue(model)!);
            NormSharp.Onnx.Proto.ModelProto proto;
            try
            {
                proto = OnnxExporter.ToModelProto(network, options);
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException)
            {
                throw new ModelFiles.UsageException($"cannot export '{parse.GetValue(model)}' to ONNX: {e.Message}");
            }
            NormSharp.Serialization.AtomicFile.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));
            var ops = proto.Graph.Node.GroupBy(n => n.OpType).Select(g => $"{g.Key}×{g.Count()}");
            Console.WriteLine($"{path}: ONNX opset {OnnxExportOptions.Opset}, {proto.Graph.Node.Count} nodes ({string.Join(", ", ops)}), " +
                              $"{proto.Graph.Initializer.Count} initializers{(options.FoldBatchNorm ? ", BatchNorm folded" : "")}");
            return 0;
        }));
        return command;
    }

    private static int[]? ParseShape(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new ModelFiles.UsageException($"--input-shape '{text}': expected positive integers separated by commas, e.g. 1,28,28");
        return shape;
    }
}

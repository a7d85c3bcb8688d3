using System.CommandLine;
using NormSharp.Inference;
using NormSharp.Serialization;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp fold --model m.safetensors --out folded.safetensors</c>: BN folded into the layers before it, for inference.</summary>
internal static class FoldCommand
{
    /// <summary>Metadata key naming the file a folded model came from.</summary>
    public const string FoldedFromKey = "normsharp.folded_from";

    public static Command Create()
    {
        var model = ModelFiles.ModelOption();
        var output = new Option<string>("--out") { Description = "Model file to write (safetensors with architecture).", Required = true };
        var command = new Command("fold", "Fold every BatchNorm into the Dense/Conv2d before it (W' = W·γ/σ, b' = (b − μ)·γ/σ + β), for faster inference.")
        {
            model, output,
        };
        command.SetAction(parse => ModelFiles.Run(() =>
        {
            string source = parse.GetValue(model)!;
            string path = ModelFiles.OutputPath(parse.GetValue(output)!, "--out");
            var (network, file) = ModelFiles.Load(source);
            var folded = BatchNormFolding.Fold(network, out var names);
            var metadata = file.Metadata
                .Where(kv => kv.Key is not ModelIO.ArchitectureKey and not Checkpoint.MetadataKey and not "format")
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            metadata[FoldedFromKey] = Path.GetFileName(source);
            ModelIO.Save(folded, path, metadata);
            int left = folded.NamedModules().Count(m => m.Module is NormSharp.Layers.BatchNormBase);
            Console.WriteLine(names.Count == 0
                ? $"no BatchNorm layer follows a Dense or Conv2d: {path} holds the model unchanged"
                : $"folded {names.Count} BatchNorm layer{(names.Count == 1 ? "" : "s")} ({string.Join(", ", names)}) into the layers before them → {path}");
            if (left > 0) Console.WriteLine($"{left} BatchNorm layer{(left == 1 ? "" : "s")} could not be folded (not right after a Dense/Conv2d, or without running statistics)");
            return 0;
        }));
        return command;
    }
}

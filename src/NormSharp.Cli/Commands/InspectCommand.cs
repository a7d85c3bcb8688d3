using System.CommandLine;
using System.Globalization;
using NormSharp.Layers;
using NormSharp.Serialization;
using Spectre.Console;

namespace NormSharp.Cli.Commands;

/// <summary>
/// <c>normsharp inspect m.safetensors [--channels]</c>: the layers with their parameter counts, every BatchNorm's γ, β and
/// running statistics (min / mean / max, or per channel), the batch counts and the file's metadata.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Model file or checkpoint (safetensors)." };
        var channels = new Option<bool>("--channels") { Description = "List every BatchNorm channel's γ, β, running mean and variance." };
        var command = new Command("inspect", "Summarise a saved model: layers, parameters, BatchNorm γ/β and running statistics.") { file, channels };
        command.SetAction(parse => ModelFiles.Run(() =>
        {
            string path = parse.GetValue(file)!;
            var (model, contents) = ModelFiles.Load(path, "file");
            var console = ModelFiles.Spectre();
            console.Write(Layers(model, path, contents));
            var bns = model.NamedModules().Where(m => m.Module is BatchNormBase).Select(m => (m.Name, Layer: (BatchNormBase)m.Module)).ToList();
            if (bns.Count > 0)
            {
                console.Write(Settings(bns));
                console.Write(parse.GetValue(channels) ? Channels(bns) : Statistics(bns));
            }
            var extra = contents.Metadata.Where(kv => kv.Key is not ModelIO.ArchitectureKey and not "format").ToList();
            if (extra.Count > 0)
            {
                var metadata = new Table().Title("Metadata").AddColumns("Key", "Value");
                foreach (var (key, value) in extra) metadata.AddRow(Markup.Escape(key), Markup.Escape(value.Length > 200 ? value[..200] + "…" : value));
                console.Write(metadata);
            }
            return 0;
        }));
        return command;
    }

    private static Table Layers(Module model, string path, SafetensorsFile contents)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(Path.GetFileName(path))}[/]").AddColumns("Name", "Layer", "Parameters", "Buffers");
        table.Columns[2].RightAligned();
        table.Columns[3].RightAligned();
        long parameters = 0, buffers = 0;
        foreach (var (name, module) in model.NamedModules())
        {
            if (module is Sequential) continue; // containers hold no state of their own
            long p = module.NamedParameters().Where(n => !n.Name.Contains('.')).Sum(n => (long)n.Parameter.Value.Size);
            long b = module.NamedBuffers().Where(n => !n.Name.Contains('.')).Sum(n => (long)n.Buffer.Size);
            parameters += p;
            buffers += b;
            table.AddRow(Markup.Escape(name), Markup.Escape(module.Describe()), N(p), N(b));
        }
        long bytes = contents.Tensors.Values.Sum(t => (long)t.Bytes.Length);
        table.Caption($"{N(parameters)} parameters, {N(buffers)} buffer values, {N(bytes)} bytes of tensors");
        return table;
    }

    private static Table Settings(List<(string Name, BatchNormBase Layer)> bns)
    {
        var table = new Table().Title("BatchNorm layers").AddColumns("Name", "Channels", "num_batches_tracked", "eps", "momentum", "Frozen");
        foreach (var (name, bn) in bns)
            table.AddRow(Markup.Escape(name), bn.NumFeatures.ToString(CultureInfo.InvariantCulture),
                bn.NumBatchesTracked is { } n ? N((long)n[0]) : "—", F(bn.Eps), bn.Momentum is { } m ? F(m) : "cumulative",
                bn.Frozen ? "yes" : "no");
        return table;
    }

    private static Table Statistics(List<(string Name, BatchNormBase Layer)> bns)
    {
        var table = new Table().Title("BatchNorm γ, β and running statistics (over channels)").AddColumns("Name", "Statistic", "Min", "Mean", "Max");
        for (int i = 2; i < 5; i++) table.Columns[i].RightAligned();
        foreach (var (name, bn) in bns)
        {
            bool first = true;
            foreach (var (statistic, values) in new[] { ("γ (weight)", bn.WeightParameter?.Value), ("β (bias)", bn.BiasParameter?.Value),
                         ("running_mean", bn.RunningMean), ("running_var", bn.RunningVar) })
            {
                if (values is null) continue;
                var (min, mean, max) = Summary(values);
                table.AddRow(first ? Markup.Escape(name) : "", statistic, F(min), F(mean), F(max));
                first = false;
            }
        }
        return table;
    }

    private static Table Channels(List<(string Name, BatchNormBase Layer)> bns)
    {
        var table = new Table().Title("BatchNorm channels").AddColumns("Name", "Channel", "γ", "β", "running_mean", "running_var");
        foreach (var (name, bn) in bns)
            for (int c = 0; c < bn.NumFeatures; c++)
                table.AddRow(Markup.Escape(name), c.ToString(CultureInfo.InvariantCulture), At(bn.WeightParameter?.Value, c),
                    At(bn.BiasParameter?.Value, c), At(bn.RunningMean, c), At(bn.RunningVar, c));
        return table;
    }

    private static (float Min, float Mean, float Max) Summary(Tensor t)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        double sum = 0;
        foreach (float v in t.Span) { min = MathF.Min(min, v); max = MathF.Max(max, v); sum += v; }
        return (min, (float)(sum / t.Size), max);
    }

    private static string At(Tensor? t, int c) => t is null ? "—" : F(t[c]);

    private static string F(float v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}

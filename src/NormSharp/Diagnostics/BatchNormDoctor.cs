using System.Globalization;
using NormSharp.Layers;

namespace NormSharp.Diagnostics;

/// <summary>
/// Checks a model for the Batch Normalization mistakes users hit most, and says how to fix each
/// (<c>normsharp doctor</c>): a bias right before BN, dropout before BN, batches too small for BN, a
/// momentum in the other framework's convention, running statistics that were never updated, frozen BN
/// left in training mode, and — given validation data — a large gap between train-mode and eval-mode accuracy.
/// </summary>
/// <remarks>
/// Layer order is read from <see cref="Sequential"/> containers (nested ones flattened; other containers
/// are examined inside but not across their boundary). Dropout is recognised by its type name, so every
/// dropout flavour (Dropout, Dropout2d, AlphaDropout …) counts.
/// </remarks>
public static partial class BatchNormDoctor
{
    /// <summary>Runs every check that <paramref name="options"/> give the inputs for.</summary>
    /// <returns>The findings, most severe first, and the measured accuracies. The model's parameters,
    /// buffers and modes are left as they were.</returns>
    public static DoctorReport Examine(Module model, DoctorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DoctorOptions();
        var batchNorms = model.NamedModules().Where(m => m.Module is BatchNormBase).Select(m => (m.Name, Layer: (BatchNormBase)m.Module)).ToList();
        var findings = new List<Finding>();
        var chains = Chains(model);
        CheckBiasBeforeNormalization(chains, findings);
        CheckDropoutBeforeBatchNorm(chains, findings);
        if (options.BatchSize is { } batchSize) CheckBatchSize(batchNorms, batchSize, options.MinBatchSize, findings);
        CheckMomentum(batchNorms, options.SuspiciousMomentum, findings);
        CheckStatisticsUpdated(batchNorms, findings);
        CheckFrozenInTraining(batchNorms, findings);
        double? trainAccuracy = null, evalAccuracy = null;
        if (options.Validation is { } validation && batchNorms.Count > 0)
        {
            int gapBatch = options.GapBatchSize ?? (options.BatchSize is { } b && b >= 32 ? b : 256);
            (trainAccuracy, evalAccuracy) = MeasureTrainEvalGap(model, validation, gapBatch);
            if (trainAccuracy - evalAccuracy > options.MaxAccuracyGap)
                findings.Add(new Finding(Severity.Warning, FindingCodes.TrainEvalGap, "",
                    $"validation accuracy is {Percent(trainAccuracy.Value)} with batch statistics (train mode, batches of {gapBatch}) but " +
                    $"{Percent(evalAccuracy.Value)} with the running statistics (eval mode): the running averages do not describe what the " +
                    "layers see now (a slow momentum early in training, or a distribution shift since they were collected).",
                    "Recompute the running statistics as exact population statistics over K training batches (precise BN): " +
                    "normsharp bn recalibrate --model M --data D --batches 100 --out M2 (PreciseBatchNorm.Recalibrate)."));
        }
        findings.Sort((a, b) => b.Severity.CompareTo(a.Severity));
        return new DoctorReport(findings, trainAccuracy, evalAccuracy, batchNorms.Count);
    }

    private static void CheckBiasBeforeNormalization(List<List<(string Name, Module Module)>> chains, List<Finding> findings)
    {
        var names = new List<string>();
        long wasted = 0;
        foreach (var chain in chains)
            for (int i = 0; i + 1 < chain.Count; i++)
            {
                var bias = chain[i].Module switch { Dense d => d.BiasParameter, Conv2d c => c.BiasParameter, _ => null };
                if (bias is null || chain[i + 1].Module is not (BatchNormBase or InstanceNormBase)) continue;
                names.Add(chain[i].Name);
                wasted += bias.Value.Size;
            }
        if (names.Count == 0) return;
        findings.Add(new Finding(Severity.Info, FindingCodes.BiasBeforeBatchNorm, Join(names),
            $"{Count(names.Count, "layer", "adds", "add")} a bias right before a BN layer, whose mean subtraction removes it again " +
            $"(the BN paper §3.2, seed 001): {wasted.ToString("N0", CultureInfo.InvariantCulture)} parameters that never change the output.",
            "Build those layers without bias (Dense/Conv2d bias: false, PyTorch bias=False, ModelOptions.BiasBeforeBatchNorm = false); BN's β plays its role."));
    }

    private static void CheckDropoutBeforeBatchNorm(List<List<(string Name, Module Module)>> chains, List<Finding> findings)
    {
        var pairs = new List<string>();
        var dropouts = new List<string>();
        foreach (var chain in chains)
            for (int i = 0; i < chain.Count; i++)
            {
                if (!IsDropout(chain[i].Module)) continue;
                int next = chain.FindIndex(i + 1, e => e.Module is BatchNormBase);
                if (next < 0) continue;
                dropouts.Add(chain[i].Name);
                pairs.Add($"{chain[i].Module.GetType().Name} '{chain[i].Name}' → {chain[next].Module.GetType().Name} '{chain[next].Name}'");
            }
        if (dropouts.Count == 0) return;
        findings.Add(new Finding(Severity.Warning, FindingCodes.DropoutBeforeBatchNorm, Join(dropouts),
            $"dropout feeds a BN layer ({string.Join("; ", pairs)}): in training the BN statistics include the dropout noise, in eval mode " +
            "dropout is off, so the variance BN sees at inference differs from its running variance (the \"variance shift\" of Li et al. 2019, " +
            "\"Understanding the disharmony between dropout and batch normalization\").",
            "Move dropout after the last BN layer (just before the classifier), or drop it: BN already regularises (the BN paper §4.2.1)."));
    }

    private static void CheckBatchSize(List<(string Name, BatchNormBase Layer)> batchNorms, int batchSize, int minBatchSize, List<Finding> findings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var small = new List<string>();
        int smallest = int.MaxValue;
        foreach (var (name, layer) in batchNorms)
        {
            int effective = layer switch
            {
                GhostBatchNorm1d g => Math.Min(g.VirtualBatchSize, batchSize),
                GhostBatchNorm2d g => Math.Min(g.VirtualBatchSize, batchSize),
                _ => batchSize,
            };
            // Batch Renorm was designed for small batches (the paper trains with 4 per batch).
            int limit = layer is BatchRenormBase ? Math.Min(4, minBatchSize) : minBatchSize;
            if (effective >= limit) continue;
            small.Add(name);
            smallest = Math.Min(smallest, effective);
        }
        if (small.Count == 0) return;
        const string fix = "Use GroupNorm or LayerNorm (independent of the batch size; ModelOptions.Normalization = GroupNorm), " +
                           "Batch Renorm (corrects batch statistics towards the running ones), or a larger batch. " +
                           "See `normsharp reproduce small-batch` for which works at which batch size.";
        if (smallest == 1)
            findings.Add(new Finding(Severity.Error, FindingCodes.BatchTooSmall, Join(small),
                $"{Count(small.Count, "BN layer", "normalises", "normalise")} over a single sample per (virtual) batch: after a Dense layer every output " +
                "is 0 once the mean is subtracted, so nothing is learned (d2l); after a conv layer the statistics are one image's.", fix));
        else
            findings.Add(new Finding(Severity.Warning, FindingCodes.BatchTooSmall, Join(small),
                $"{Count(small.Count, "BN layer", "normalises", "normalise")} over only {smallest} samples per batch: the batch statistics are noisy and differ " +
                $"from the running statistics used at inference (Wu and He 2018: BN's error rises steeply below {minBatchSize} per batch).", fix));
    }

    private static void CheckMomentum(List<(string Name, BatchNormBase Layer)> batchNorms, double suspicious, List<Finding> findings)
    {
        foreach (var group in batchNorms.Where(b => b.Layer.Momentum >= suspicious).GroupBy(b => b.Layer.Momentum!.Value))
        {
            float m = group.Key;
            findings.Add(new Finding(Severity.Warning, FindingCodes.MomentumConvention, Join(group.Select(g => g.Name).ToList()),
                $"momentum = {Number(m)} is the weight of the newest batch here (PyTorch's convention): the running statistics are " +
                $"{Percent(m)} the last batch's, so eval-mode predictions follow whichever batch came last. Keras's momentum={Number(m)} " +
                $"is the weight of the old value, i.e. momentum = {Number(1 - m)} here.",
                $"Use momentum = {Number(1 - m)} (1 − Keras's value) or PyTorch's default 0.1; for a trained model, repair the running " +
                "statistics with normsharp bn recalibrate."));
        }
        // Keras's defaults keep renorm_momentum = momentum; averages of different speeds make r and d pull training
        // towards statistics that eval mode does not use (ModelOptions.RenormMomentum has the measurement).
        var mismatched = batchNorms.Where(b => b.Layer is BatchRenormBase r && r.Momentum is { } m && r.RenormMomentum < suspicious && m < suspicious
                                               && Math.Max(m, r.RenormMomentum) >= 5 * Math.Min(m, r.RenormMomentum)).ToList();
        if (mismatched.Count > 0)
        {
            var layer = (BatchRenormBase)mismatched[0].Layer;
            findings.Add(new Finding(Severity.Warning, FindingCodes.MomentumConvention, Join(mismatched.Select(g => g.Name).ToList()),
                $"renorm momentum {Number(layer.RenormMomentum)} and momentum {Number(layer.Momentum!.Value)} differ: r and d correct training " +
                "towards the renorm averages while eval mode normalises with the running statistics, and averages of different speeds disagree.",
                $"Use the same value for both (Keras's defaults: 0.99 each, 0.01 here), e.g. renormMomentum = {Number(layer.Momentum.Value)}."));
        }
        foreach (var group in batchNorms.Where(b => b.Layer is BatchRenormBase r && r.RenormMomentum >= suspicious)
                     .GroupBy(b => ((BatchRenormBase)b.Layer).RenormMomentum))
        {
            float m = group.Key;
            findings.Add(new Finding(Severity.Warning, FindingCodes.MomentumConvention, Join(group.Select(g => g.Name).ToList()),
                $"renorm momentum = {Number(m)} is the weight of the newest batch here: r and d are then corrections towards the last " +
                $"batch, not towards a long-run average. Keras's renorm_momentum={Number(m)} is {Number(1 - m)} here.",
                $"Use renormMomentum = {Number(1 - m)}."));
        }
    }

    private static void CheckStatisticsUpdated(List<(string Name, BatchNormBase Layer)> batchNorms, List<Finding> findings)
    {
        var stale = batchNorms.Where(b => b.Layer is { TrackRunningStats: true } l && l.NumBatchesTracked!.Span[0] == 0
                                          && AllEqual(l.RunningMean!.Span, 0f) && AllEqual(l.RunningVar!.Span, 1f))
                              .Select(b => b.Name).ToList();
        if (stale.Count == 0) return;
        findings.Add(new Finding(Severity.Error, FindingCodes.StatisticsNeverUpdated, Join(stale),
            $"{Count(stale.Count, "BN layer", "never updated its", "never updated their")} running statistics (num_batches_tracked = 0, running_mean all 0, " +
            "running_var all 1): eval mode normalises with mean 0 and variance 1 instead of the activations' statistics. The model was " +
            "never run in training mode, or its buffers were not saved.",
            "Train in training mode (model.Train(); Trainer does this), or compute the statistics from training data now: " +
            "normsharp bn recalibrate --model M --data D --batches 100 --out M2."));
    }

    private static void CheckFrozenInTraining(List<(string Name, BatchNormBase Layer)> batchNorms, List<Finding> findings)
    {
        var names = batchNorms.Where(b => b.Layer is { Training: true, WeightParameter.RequiresGrad: false, BiasParameter.RequiresGrad: false })
                              .Select(b => b.Name).ToList();
        if (names.Count == 0) return;
        findings.Add(new Finding(Severity.Warning, FindingCodes.FrozenButTraining, Join(names),
            $"{Count(names.Count, "BN layer", "has", "have")} frozen γ and β but {(names.Count == 1 ? "is" : "are")} still in training mode: while the " +
            "rest of the model trains, such a layer normalises with batch statistics and overwrites its running statistics, so the features the upper layers " +
            "learn on shift under them (the fine-tuning pitfall of docs/PERSISTENCE.md; Keras ≥ 2.1.3 runs frozen BN in inference mode).",
            "Freeze with Freezing.Freeze(model, pattern), which also sets BatchNormBase.Frozen (inference mode while the model trains), " +
            "or set layer.Frozen = true."));
    }

    /// <summary>The model's Sequential chains in execution order (nested Sequentials flattened), with state-dict names.</summary>
    internal static List<List<(string Name, Module Module)>> Chains(Module root)
    {
        var chains = new List<List<(string, Module)>>();
        Collect(root, "", chains);
        return chains;
    }

    private static void Collect(Module module, string name, List<List<(string, Module)>> chains)
    {
        if (module is not Sequential)
        {
            foreach (var (childName, child) in module.Children()) Collect(child, JoinName(name, childName), chains);
            return;
        }
        var chain = new List<(string Name, Module Module)>();
        Flatten(module, name, chain);
        chains.Add(chain);
        foreach (var (elementName, element) in chain)
            foreach (var (childName, child) in element.Children()) Collect(child, JoinName(elementName, childName), chains);
    }

    private static void Flatten(Module sequential, string prefix, List<(string, Module)> chain)
    {
        foreach (var (childName, child) in sequential.Children())
        {
            if (child is Sequential) Flatten(child, JoinName(prefix, childName), chain);
            else chain.Add((JoinName(prefix, childName), child));
        }
    }

    /// <summary>Dropout of any flavour, recognised by type name; a rate property P of 0 disables it.</summary>
    internal static bool IsDropout(Module module)
    {
        var type = module.GetType();
        if (!type.Name.Contains("Dropout", StringComparison.Ordinal)) return false;
        object? rate = type.GetProperty("P")?.GetValue(module);
        return rate switch { float f => f > 0, double d => d > 0, _ => true };
    }

    private static bool AllEqual(ReadOnlySpan<float> values, float value)
    {
        foreach (float v in values) if (v != value) return false;
        return true;
    }

    private static string JoinName(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static string Join(IReadOnlyList<string> names) => string.Join(", ", names);

    private static string Count(int n, string noun, string singularVerb, string pluralVerb) =>
        n == 1 ? $"1 {noun} {singularVerb}" : $"{n} {noun}s {pluralVerb}";

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}

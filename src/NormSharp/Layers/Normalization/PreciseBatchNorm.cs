using NormSharp.Kernels;

namespace NormSharp.Layers;

/// <summary>
/// Precise BN (pycls/Detectron; Wu and Johnson, "Rethinking 'Batch' in BatchNorm", 2021): replaces
/// every BN layer's running statistics, an exponential average of stale batch statistics, by the exact
/// population statistics of the activations over K training batches.
/// </summary>
public static class PreciseBatchNorm
{
    /// <summary>
    /// Runs <paramref name="batches"/> through <paramref name="model"/> in training mode and sets each
    /// tracking BN layer's running_mean to the population mean of its inputs and running_var to the
    /// unbiased population variance (PyTorch's convention for running_var). Per-batch statistics are
    /// merged with Chan's formula (<see cref="BatchNormStatistics.Merge(BatchNormStatistics)"/>), so the
    /// result equals the statistics of all K batches concatenated — unlike pycls, which averages the
    /// per-batch variances. Layers see their inputs normalised by batch statistics, as in training.
    /// Parameters, gradients, num_batches_tracked and every module's mode are left as they were.
    /// </summary>
    /// <returns>The number of batches used.</returns>
    /// <exception cref="ArgumentException">No batch was given.</exception>
    public static int Recalibrate(Module model, IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        var modes = new List<(Module Module, bool Training)>();
        var layers = new List<BatchNormBase>();
        foreach (var (_, module) in model.NamedModules())
        {
            modes.Add((module, module.Training));
            if (module is BatchNormBase { TrackRunningStats: true } bn) layers.Add(bn);
        }
        int count = 0;
        try
        {
            foreach (var bn in layers) bn.StatisticsCollector = new BatchNormStatistics(bn.NumFeatures);
            model.Train();
            foreach (var batch in batches)
            {
                model.Forward(batch);
                count++;
            }
            if (count == 0) throw new ArgumentException("precise BN needs at least one batch", nameof(batches));
            foreach (var bn in layers)
            {
                var stats = bn.StatisticsCollector!;
                var mean = bn.RunningMean!.Span;
                var variance = bn.RunningVar!.Span;
                for (int c = 0; c < bn.NumFeatures; c++)
                {
                    mean[c] = (float)stats.Mean[c];
                    variance[c] = (float)(stats.Count > 1 ? stats.UnbiasedVariance(c) : stats.BiasedVariance(c));
                }
            }
        }
        finally
        {
            foreach (var bn in layers) bn.StatisticsCollector = null;
            // Pre-order: a parent's Train(mode) resets its children, whose own modes then follow.
            foreach (var (module, training) in modes) module.Train(training);
        }
        return count;
    }
}

using NormSharp.Data;
using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Diagnostics;

public static partial class BatchNormDoctor
{
    /// <summary>
    /// Validation accuracy twice over the same batches: with every BN layer normalising by its batch
    /// statistics ("train mode"; other layers such as dropout stay in eval mode, and no running statistic
    /// or renorm state is updated) and in eval mode (running statistics). A large gap means the running
    /// statistics are stale: the lag of a slow momentum that precise BN removes (Wu and Johnson 2021, §3).
    /// </summary>
    /// <param name="model">A classifier; its parameters, buffers and modes are left as they were.</param>
    /// <param name="validation">Classification data (class-index targets) shaped as the model's input.</param>
    /// <param name="batchSize">Samples per batch; the batch statistics are those of batches this large (a short last batch is dropped).</param>
    /// <exception cref="ArgumentException">The data are not classification data or are empty.</exception>
    public static (double TrainMode, double EvalMode) MeasureTrainEvalGap(Module model, InMemoryDataset validation, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 2);
        if (validation.NumClasses < 2 || validation.Count < 2)
            throw new ArgumentException($"dataset '{validation.Name}' must hold at least 2 classified examples for the accuracy check", nameof(validation));
        int batch = Math.Min(batchSize, validation.Count);
        var loader = new DataLoader(validation, batch, shuffle: false, dropLast: true);
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.Training)).ToList();
        var batchNorms = model.NamedModules().Select(m => m.Module).OfType<BatchNormBase>().ToList();
        long trainCorrect = 0, evalCorrect = 0, count = 0;
        try
        {
            loader.StartEpoch();
            while (loader.TryNextBatch(out var x, out var y))
            {
                model.Eval();
                evalCorrect += Correct(model.Forward(x), y);
                // The statistics collector stops the running statistics (and renorm state) from being updated.
                foreach (var bn in batchNorms)
                {
                    bn.StatisticsCollector = new BatchNormStatistics(bn.NumFeatures);
                    bn.Train();
                }
                trainCorrect += Correct(model.Forward(x), y);
                foreach (var bn in batchNorms) bn.StatisticsCollector = null;
                count += x.Dim(0);
            }
        }
        finally
        {
            foreach (var bn in batchNorms) bn.StatisticsCollector = null;
            // Pre-order: a parent's Train(mode) resets its children, whose own modes then follow.
            foreach (var (module, training) in modes) module.Train(training);
        }
        return ((double)trainCorrect / count, (double)evalCorrect / count);
    }

    private static int Correct(Tensor output, Tensor targets)
    {
        if (output.Rank != 2 || output.Dim(0) != targets.Dim(0))
            throw new ArgumentException($"the model's output {output.ShapeString()} is not [N, classes] for {targets.Dim(0)} examples");
        return Classification.CountCorrect(output.Span, output.Dim(0), output.Dim(1), targets.Span);
    }
}

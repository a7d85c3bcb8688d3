using NormSharp.Data;
using NormSharp.Diagnostics;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Tests.Normalization;
using NormSharp.Training;

namespace NormSharp.Tests.Diagnostics;

/// <summary>Each check of <see cref="BatchNormDoctor"/> triggered by a model built to have that mistake, and a clean model that has none.</summary>
public class BatchNormDoctorTests
{
    /// <summary>A stand-in for branch core's Dropout (identity here): the doctor recognises dropout by type name.</summary>
    private sealed class Dropout : Module
    {
        public float P => 0.5f;
        public override Tensor Forward(Tensor x) => x;
        public override Tensor Backward(Tensor gradOutput) => gradOutput;
        public override int[] OutputShape(int[] inputShape) => inputShape;
    }

    /// <summary>Runs training-mode forwards so every BN layer has real running statistics.</summary>
    private static T Warm<T>(T model, int features) where T : Module
    {
        model.Train();
        for (int i = 0; i < 3; i++) model.Forward(Tensor.FromArray(BatchNormKernelTests.RandomArray(32 * features, (ulong)(10 + i), offset: 1f), 32, features));
        return model;
    }

    private static Sequential CleanMlp() => Warm(ModelZoo.Mlp(6, [8, 5], 3, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(3) }), 6);

    private static Finding Single(DoctorReport report, string code)
    {
        var matches = report.Findings.Where(f => f.Code == code).ToList();
        Assert.True(matches.Count == 1, $"expected one '{code}' finding, got: {string.Join(" | ", report.Findings.Select(f => f.Code + ": " + f.Message))}");
        Assert.False(string.IsNullOrWhiteSpace(matches[0].Fix));
        return matches[0];
    }

    [Fact]
    public void CleanModelHasNoFinding()
    {
        var model = CleanMlp();
        var report = BatchNormDoctor.Examine(model, new DoctorOptions { BatchSize = 64 });
        Assert.Empty(report.Findings);
        Assert.Equal(2, report.NormalizationLayers);
        Assert.False(report.HasProblems);
        // Models without BN, and other normalizations, are clean too.
        Assert.Empty(BatchNormDoctor.Examine(ModelZoo.Mlp(6, [8], 3), new DoctorOptions { BatchSize = 2 }).Findings);
        Assert.Empty(BatchNormDoctor.Examine(ModelZoo.Mlp(6, [8], 3, new ModelOptions { Normalization = NormalizationKind.GroupNorm }),
            new DoctorOptions { BatchSize = 2 }).Findings);
    }

    [Fact]
    public void BiasRightBeforeBatchNormIsReportedWithItsLayerName()
    {
        var model = Warm(new Sequential(new Sequential(new Dense(6, 4, bias: true), new BatchNorm1d(4)), new ReLU(),
            new Dense(4, 4, bias: true), new ReLU(), new Dense(4, 3)), 6);
        var finding = Single(BatchNormDoctor.Examine(model), FindingCodes.BiasBeforeBatchNorm);
        Assert.Equal(Severity.Info, finding.Severity);
        Assert.Equal("0.0", finding.Layer); // nested Sequential names; the Dense before a ReLU is fine
        Assert.Contains("4 parameters", finding.Message);
        Assert.Contains("bias: false", finding.Fix);
        // The zoo's BiasBeforeBatchNorm option builds exactly this mistake.
        var zoo = Warm(ModelZoo.Mlp(6, [8, 5], 3, new ModelOptions { Normalization = NormalizationKind.BatchNorm, BiasBeforeBatchNorm = true }), 6);
        Assert.Equal("0, 3", Single(BatchNormDoctor.Examine(zoo), FindingCodes.BiasBeforeBatchNorm).Layer);
    }

    [Fact]
    public void DropoutBeforeBatchNormIsAVarianceShift()
    {
        var model = Warm(new Sequential(new Dense(6, 4, bias: false), new Dropout(), new Dense(4, 4, bias: false), new BatchNorm1d(4), new ReLU(), new Dense(4, 3)), 6);
        var finding = Single(BatchNormDoctor.Examine(model), FindingCodes.DropoutBeforeBatchNorm);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Equal("1", finding.Layer);
        Assert.Contains("BatchNorm1d '3'", finding.Message);
        // Dropout after the last BN (before the classifier) is the recommended place: no finding.
        var fine = Warm(new Sequential(new Dense(6, 4, bias: false), new BatchNorm1d(4), new ReLU(), new Dropout(), new Dense(4, 3)), 6);
        Assert.Empty(BatchNormDoctor.Examine(fine).Findings);
    }

    [Theory]
    [InlineData(1, Severity.Error)]
    [InlineData(8, Severity.Warning)]
    public void BatchTooSmallForBatchNorm(int batchSize, Severity severity)
    {
        var finding = Single(BatchNormDoctor.Examine(CleanMlp(), new DoctorOptions { BatchSize = batchSize }), FindingCodes.BatchTooSmall);
        Assert.Equal(severity, finding.Severity);
        Assert.Equal("1, 4", finding.Layer);
        Assert.Contains("GroupNorm", finding.Fix);
        Assert.Contains("Batch Renorm", finding.Fix);
    }

    [Fact]
    public void BatchRenormToleratesSmallBatchesButGhostBatchesCount()
    {
        var renorm = Warm(new Sequential(new Dense(6, 4, bias: false), new BatchRenorm1d(4), new Dense(4, 3)), 6);
        Assert.Empty(BatchNormDoctor.Examine(renorm, new DoctorOptions { BatchSize = 4 }).Findings);
        Assert.Equal(Severity.Warning, Single(BatchNormDoctor.Examine(renorm, new DoctorOptions { BatchSize = 2 }), FindingCodes.BatchTooSmall).Severity);
        var ghost = Warm(new Sequential(new Dense(6, 4, bias: false), new GhostBatchNorm1d(4, virtualBatchSize: 4), new Dense(4, 3)), 6);
        Assert.Contains("only 4 samples", Single(BatchNormDoctor.Examine(ghost, new DoctorOptions { BatchSize = 256 }), FindingCodes.BatchTooSmall).Message);
    }

    [Fact]
    public void KerasMomentumGivenInPyTorchsConventionIsReported()
    {
        var model = Warm(new Sequential(new Dense(6, 4, bias: false), new BatchNorm1d(4, momentum: 0.99f), new ReLU(),
            new Dense(4, 4, bias: false), new BatchNorm1d(4, momentum: 0.99f), new Dense(4, 3)), 6);
        var finding = Single(BatchNormDoctor.Examine(model), FindingCodes.MomentumConvention);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Equal("1, 4", finding.Layer);
        Assert.Contains("momentum = 0.01", finding.Fix);
        var mismatched = Warm(new Sequential(new BatchRenorm1d(6, momentum: 0.1f, renormMomentum: 0.01f)), 6);
        Assert.Contains("renormMomentum = 0.1", Single(BatchNormDoctor.Examine(mismatched), FindingCodes.MomentumConvention).Fix);
        var renorm = Warm(new Sequential(new BatchRenorm1d(6, momentum: 0.99f, renormMomentum: 0.99f)), 6);
        var findings = BatchNormDoctor.Examine(renorm).Findings.Where(f => f.Code == FindingCodes.MomentumConvention).ToList();
        Assert.Equal(2, findings.Count); // BN's momentum and the renorm momentum, both in Keras's convention
        Assert.Contains(findings, f => f.Fix.Contains("renormMomentum = 0.01"));
    }

    [Fact]
    public void RunningStatisticsNeverUpdatedIsAnError()
    {
        var fresh = ModelZoo.Mlp(6, [8, 5], 3, new ModelOptions { Normalization = NormalizationKind.BatchNorm });
        var finding = Single(BatchNormDoctor.Examine(fresh), FindingCodes.StatisticsNeverUpdated);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Equal("1, 4", finding.Layer);
        Assert.Contains("recalibrate", finding.Fix);
        Assert.True(BatchNormDoctor.Examine(fresh).HasProblems);
        // Statistics set without counting batches (precise BN, a PyTorch export) are fine.
        PreciseBatchNorm.Recalibrate(fresh, [Tensor.FromArray(BatchNormKernelTests.RandomArray(60, 5), 10, 6)]);
        Assert.Equal(0f, ((BatchNorm1d)fresh[1]).NumBatchesTracked!.Span[0]);
        Assert.DoesNotContain(BatchNormDoctor.Examine(fresh).Findings, f => f.Code == FindingCodes.StatisticsNeverUpdated);
    }

    [Fact]
    public void FrozenBatchNormLeftInTrainingModeIsReported()
    {
        var model = CleanMlp();
        var bn = (BatchNorm1d)model[1];
        bn.WeightParameter!.RequiresGrad = false;
        bn.BiasParameter!.RequiresGrad = false;
        model.Train();
        var finding = Single(BatchNormDoctor.Examine(model), FindingCodes.FrozenButTraining);
        Assert.Equal("1", finding.Layer);
        Assert.Contains("Freezing.Freeze", finding.Fix);
        // Freezing properly (BatchNormBase.Frozen) runs the layer in inference mode: no finding.
        Freezing.Freeze(model, "^1\\.");
        Assert.Empty(BatchNormDoctor.Examine(model).Findings);
    }

    [Fact]
    public void TrainEvalGapNeedsValidationDataAndPointsToPreciseBn()
    {
        var data = SyntheticData.Blobs(600, classes: 3, features: 2, std: 0.5f, seed: 4);
        var model = ModelZoo.Mlp(2, [16, 16], 3, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = new Rng(5) });
        var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter), lr: 0.01f));
        trainer.Fit(new DataLoader(data, 50, seed: 6, dropLast: true), new FitOptions { Epochs = 5 });

        var clean = BatchNormDoctor.Examine(model, new DoctorOptions { BatchSize = 50, Validation = data });
        Assert.Empty(clean.Findings);
        Assert.True(clean.EvalModeAccuracy > 0.9, $"eval accuracy {clean.EvalModeAccuracy}");
        Assert.True(Math.Abs(clean.TrainModeAccuracy!.Value - clean.EvalModeAccuracy!.Value) < 0.05);

        // Stale running statistics (here: a shifted running mean) — eval mode breaks, batch statistics do not.
        var bn = (BatchNorm1d)model[1];
        var before = bn.RunningMean!.ToArray();
        for (int i = 0; i < bn.NumFeatures; i++) bn.RunningMean.Span[i] += 3 * MathF.Sqrt(bn.RunningVar!.Span[i]);
        var tracked = bn.NumBatchesTracked!.Span[0];
        bool modelTraining = model.Training, bnTraining = bn.Training;
        var report = BatchNormDoctor.Examine(model, new DoctorOptions { BatchSize = 50, Validation = data });
        var finding = Single(report, FindingCodes.TrainEvalGap);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Contains("bn recalibrate", finding.Fix);
        Assert.True(report.TrainModeAccuracy - report.EvalModeAccuracy > 0.05);
        // The check changed nothing: statistics, counters and modes are as before.
        Assert.Equal(tracked, bn.NumBatchesTracked.Span[0]);
        Assert.NotEqual(before, bn.RunningMean.ToArray());
        Assert.Equal((modelTraining, bnTraining), (model.Training, bn.Training));

        // Precise BN repairs the statistics and the gap disappears.
        PreciseBatchNorm.Recalibrate(model, Enumerable.Range(0, 6).Select(i => InMemoryDataset.Gather(data.Features, Enumerable.Range(i * 100, 100).ToArray())));
        Assert.DoesNotContain(BatchNormDoctor.Examine(model, new DoctorOptions { Validation = data }).Findings, f => f.Code == FindingCodes.TrainEvalGap);
    }
}

using NormSharp.Data;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Tests.Training;

/// <summary>The trainer's mechanics (modes, budgets, callbacks, history) on a one-weight model.</summary>
public class TrainerTests
{
    private static (Trainer Trainer, ScaleModule Model) Create(float lr = 0.01f)
    {
        var model = new ScaleModule();
        model.Weight.Value[0] = 0.2f;
        return (new Trainer(model, new OneHotSquaredError(), new Sgd(model.NamedParameters().Select(p => p.Parameter), lr)), model);
    }

    [Fact]
    public void TrainStepTrainsInTrainingModeAndSkipsTheInputGradient()
    {
        var (trainer, model) = Create(0.1f);
        var data = FakeData.OneHot(64, 4, 1f, 1);
        model.Eval();
        float first = trainer.TrainStep(data.Features, data.Targets);
        float later = 0;
        for (int i = 0; i < 20; i++) later = trainer.TrainStep(data.Features, data.Targets);
        Assert.True(model.Training);
        Assert.All(model.ForwardModes, Assert.True);
        Assert.All(model.InputGradientRequests, Assert.False);
        Assert.True(later < first, $"loss did not decrease: {first} → {later}");
        Assert.Equal(21, trainer.Optimizer.StepCount);
    }

    [Fact]
    public void TrainStepClearsGradientsBeforeEachStep()
    {
        var (trainer, model) = Create(0f); // lr 0: the weight stays, so each step's gradient must be the same
        var data = FakeData.OneHot(16, 3, 1f, 2);
        trainer.TrainStep(data.Features, data.Targets);
        float first = model.Weight.Grad[0];
        trainer.TrainStep(data.Features, data.Targets);
        Assert.Equal(first, model.Weight.Grad[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EvaluateAndPredictRestoreTheMode(bool training)
    {
        var (trainer, model) = Create();
        var data = FakeData.OneHot(50, 4, 1f, 3);
        model.Train(training);
        var result = trainer.Evaluate(data, batchSize: 16);
        Assert.Equal(training, model.Training);
        Assert.All(model.ForwardModes, Assert.False);
        Assert.Equal(50, result.Count);
        Assert.Equal(1.0, result.Accuracy); // weight 0.2 > 0 keeps the arg-max of a one-hot signal
        var prediction = trainer.Predict(data.Features);
        Assert.Equal(training, model.Training);
        Assert.Equal(0.2f * data.Features[0], prediction[0], 1e-6f);
    }

    [Fact]
    public void EvaluateWeightsTheLastPartialBatchByItsSize()
    {
        var (trainer, _) = Create();
        var data = FakeData.OneHot(50, 4, 1f, 4);
        var whole = trainer.Evaluate(data, batchSize: 50);
        var batched = trainer.Evaluate(data, batchSize: 16);
        Assert.Equal(whole.Loss, batched.Loss, 1e-5);
    }

    [Fact]
    public void FitRunsTheStepBudgetAndRecordsEveryInterval()
    {
        var (trainer, _) = Create();
        var data = FakeData.OneHot(100, 4, 1f, 5);
        var loader = new DataLoader(data, 10, seed: 1);
        var history = new HistoryRecorder();
        var result = trainer.Fit(loader, new FitOptions { MaxSteps = 25, EvaluateEverySteps = 10, Validation = data, Callbacks = [history] });
        Assert.Equal(25, result.Steps);
        Assert.Equal(3, result.Epochs);
        Assert.False(result.StoppedEarly);
        Assert.Equal([10L, 20L, 25L], result.History.Select(r => r.Step));
        Assert.Equal([1, 2, 3], result.History.Select(r => r.Epoch));
        Assert.All(result.History, r => Assert.NotNull(r.ValidationAccuracy));
        Assert.Equal(25, history.Losses.Count);
        Assert.Equal(3, history.Records.Count);
        Assert.Equal(250, result.Examples);
        Assert.True(result.ExamplesPerSecond > 0);
    }

    [Fact]
    public void FitStopsAtTheTargetAccuracy()
    {
        var (trainer, _) = Create();
        var data = FakeData.OneHot(100, 4, 1f, 6);
        var target = new StopAtTargetAccuracy(0.9);
        var result = trainer.Fit(new DataLoader(data, 10, seed: 2),
            new FitOptions { Epochs = 50, EvaluateEverySteps = 5, Validation = data, Callbacks = [target] });
        Assert.True(result.StoppedEarly);
        Assert.Contains("target", result.StopReason);
        Assert.Equal(5, result.Steps);
        Assert.Equal(5, target.StepsToTarget);
        Assert.True(target.ReachedAt!.ValidationAccuracy >= 0.9);
    }

    [Fact]
    public void FitStepsTheScheduleOncePerEpochAndCallsEpochCallbacks()
    {
        var (trainer, _) = Create(0.1f);
        var data = FakeData.OneHot(40, 4, 1f, 7);
        int epochsSeen = 0;
        var progress = new ProgressCallback(onEpochEnd: p => { epochsSeen++; Assert.Equal(epochsSeen, p.Epoch); });
        var result = trainer.Fit(new DataLoader(data, 10, seed: 3),
            new FitOptions { Epochs = 3, Scheduler = new StepLR(trainer.Optimizer, 1, 0.5f), Callbacks = [progress] });
        Assert.Equal(3, epochsSeen);
        Assert.Equal(12, result.Steps);
        Assert.Equal([0.1f, 0.05f, 0.025f], result.History.Select(r => r.LearningRate));
        Assert.Equal(0.0125f, trainer.Optimizer.LearningRate, 1e-7f);
    }

    [Fact]
    public void FitRejectsBadOptionsByName()
    {
        var (trainer, _) = Create();
        var loader = new DataLoader(FakeData.OneHot(10, 2, 1f, 8), 5);
        Assert.Equal("Epochs", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(loader, new FitOptions { Epochs = 0 })).ParamName);
        Assert.Equal("EvaluateEverySteps", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(loader, new FitOptions { EvaluateEverySteps = 0 })).ParamName);
    }

    [Fact]
    public void GradientNormClippingIsAppliedAndReported()
    {
        var (trainer, model) = Create(0f);
        trainer.ClipGradNorm = 1e-3f;
        var data = FakeData.OneHot(16, 3, 5f, 9);
        trainer.TrainStep(data.Features, data.Targets);
        Assert.True(trainer.LastGradientNorm > 1e-3f);
        Assert.Equal(1e-3f, MathF.Abs(model.Weight.Grad[0]), 1e-6f);
    }

    [Fact]
    public void FitSeedMakesStochasticLayersReproducible()
    {
        var data = FakeData.OneHot(40, 4, 1f, 10);
        float Run(ulong seed)
        {
            var scale = new ScaleModule();
            var model = new NormSharp.Layers.Sequential(new NoiseModule(), scale, new NoiseModule());
            var trainer = new Trainer(model, new OneHotSquaredError(), new Sgd([scale.Weight], 0.05f));
            trainer.Fit(new DataLoader(data, 8, seed: 1), new FitOptions { Epochs = 2, Seed = seed });
            return scale.Weight.Value[0];
        }
        Assert.Equal(Run(3), Run(3));
        Assert.NotEqual(Run(3), Run(4));
    }
}

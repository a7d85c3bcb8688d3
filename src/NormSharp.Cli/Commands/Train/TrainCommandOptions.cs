using System.CommandLine;
using NormSharp.Training;

namespace NormSharp.Cli.Commands.Train;

/// <summary>The options of <c>normsharp train</c> and how they map onto <see cref="TrainSettings"/>.</summary>
internal sealed class TrainCommandOptions
{
    private readonly Option<string> _model = new("--model") { Description = "mlp, lenet, or an architecture JSON file (format normsharp-architecture).", DefaultValueFactory = _ => "mlp" };
    private readonly Option<string> _hidden = new("--hidden") { Description = "MLP hidden sizes, e.g. 500,400,300 (default: the seed's 500,400,300,200,100,50,25)." };
    private readonly Option<string?> _activation = new("--activation") { Description = $"Hidden activation: {TrainCommand.ActivationList} (default relu; sigmoid for lenet, as d2l)." };
    private readonly Option<bool> _bn = new("--bn") { Description = "Batch Normalization before every hidden activation (same as --norm batchnorm)." };
    private readonly Option<string> _norm = new("--norm") { Description = "batchnorm or none.", DefaultValueFactory = _ => "none" };
    private readonly Option<float> _bnMomentum = new("--bn-momentum") { Description = "BN momentum, PyTorch convention (weight of the new batch).", DefaultValueFactory = _ => 0.1f };
    private readonly Option<float> _bnEps = new("--bn-eps") { Description = "BN epsilon.", DefaultValueFactory = _ => 1e-5f };
    private readonly Option<bool> _noBiasBeforeBn = new("--no-bias-before-bn") { Description = "Drop the bias of a layer followed by BN (the default; BN's mean cancels it)." };
    private readonly Option<bool> _biasBeforeBn = new("--bias-before-bn") { Description = "Keep the bias of a layer followed by BN." };

    private readonly Option<string> _dataset = new("--dataset") { Description = "mnist, fashion-mnist, synthetic-moons, or a CSV file (label in the last column).", DefaultValueFactory = _ => "mnist" };
    private readonly Option<string?> _dataDir = new("--data-dir") { Description = "Dataset cache folder (default: $NORMSHARP_DATA, else ~/.cache/normsharp)." };
    private readonly Option<double> _valSplit = new("--val-split") { Description = "For CSV data: fraction held out for validation (seeded shuffle).", DefaultValueFactory = _ => 0.0 };
    private readonly Option<int?> _trainLimit = new("--train-limit") { Description = "Use only the first N training examples (quick runs)." };

    private readonly Option<int?> _epochs = new("--epochs") { Description = "Epochs to train (default 1, or unlimited with --steps)." };
    private readonly Option<long?> _steps = new("--steps") { Description = "Stop after this many optimizer steps." };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => 64 };
    private readonly Option<string> _optimizer = new("--optimizer") { Description = "sgd, adam, adamw or rmsprop.", DefaultValueFactory = _ => "sgd" };
    private readonly Option<float?> _lr = new("--lr") { Description = "Learning rate (default 0.01; 0.001 for adam/adamw)." };
    private readonly Option<float> _momentum = new("--momentum") { Description = "Momentum (sgd, rmsprop).", DefaultValueFactory = _ => 0f };
    private readonly Option<float?> _weightDecay = new("--weight-decay") { Description = "Weight decay (L2 for sgd/adam/rmsprop, decoupled for adamw; default 0, adamw 0.01 as PyTorch)." };
    private readonly Option<float?> _clipNorm = new("--clip-norm") { Description = "Scale gradients to at most this global L2 norm." };
    private readonly Option<float?> _clipValue = new("--clip-value") { Description = "Clamp gradient elements to ±this value." };
    private readonly Option<string?> _schedule = new("--lr-schedule") { Description = "step:EPOCHS:GAMMA (StepLR) or exp:GAMMA (ExponentialLR), stepped per epoch." };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed of initialisation, shuffling and stochastic layers.", DefaultValueFactory = _ => 42 };
    private readonly Option<int?> _threads = new("--threads") { Description = "Kernel threads (default: all cores). Same seed and threads give identical weights." };
    private readonly Option<int?> _evalEvery = new("--eval-every") { Description = "Evaluate and report every N steps (default: every epoch)." };
    private readonly Option<double?> _target = new("--target-accuracy") { Description = "Stop when the validation accuracy reaches this fraction, e.g. 0.97." };

    private readonly Option<string?> _metrics = new("--metrics") { Description = "Write the history as CSV." };
    private readonly Option<string?> _plot = new("--plot") { Description = "Write loss and accuracy curves as PNG." };
    private readonly Option<string?> _save = new("--save") { Description = "Save the trained model (weights + architecture) as safetensors." };
    private readonly Option<string?> _saveInitial = new("--save-initial") { Description = "Save the initial model before training." };
    private readonly Option<string?> _checkpoint = new("--checkpoint") { Description = "Checkpoint file (written atomically; also the target of Ctrl-C)." };
    private readonly Option<int?> _checkpointEvery = new("--checkpoint-every") { Description = "Checkpoint every N steps (needs --checkpoint)." };
    private readonly Option<string?> _resume = new("--resume") { Description = "Continue bit-identically from a checkpoint (give the same options as the first run)." };
    private readonly Option<string> _onNan = new("--on-nan") { Description = "On a NaN/Inf loss, gradient or weight: stop (keep the last good checkpoint) or skip-batch.", DefaultValueFactory = _ => "stop" };

    private readonly Option<double?> _soak = new("--soak-minutes") { Description = "Soak test: repeat training epochs for this many minutes (overrides --epochs/--steps)." };
    private readonly Option<string?> _memoryLog = new("--memory-log") { Description = "Write managed and native memory samples as CSV (every evaluation, and every 5 s in soak mode)." };
    private readonly Option<bool> _distributed = new("--distributed") { Description = "Data-parallel over the ranks of `mpirun -np N` (--batch-size is the global batch; rank 0 alone prints and writes files)." };
    private readonly Option<bool> _noSyncBn = new("--no-sync-bn") { Description = "With --distributed: plain BN on each rank's shard instead of SyncBatchNorm over the global batch." };
    private readonly Option<bool> _quiet = new("--quiet") { Description = "Only the final line." };

    public TrainCommandOptions()
    {
        _norm.AcceptOnlyFromAmong("batchnorm", "none");
        _optimizer.AcceptOnlyFromAmong("sgd", "adam", "adamw", "rmsprop");
        _onNan.AcceptOnlyFromAmong("stop", "skip-batch");
    }

    public IEnumerable<Option> All =>
    [
        _model, _hidden, _activation, _bn, _norm, _bnMomentum, _bnEps, _noBiasBeforeBn, _biasBeforeBn,
        _dataset, _dataDir, _valSplit, _trainLimit,
        _epochs, _steps, _batchSize, _optimizer, _lr, _momentum, _weightDecay, _clipNorm, _clipValue, _schedule,
        _seed, _threads, _evalEvery, _target,
        _metrics, _plot, _save, _saveInitial, _checkpoint, _checkpointEvery, _resume, _onNan,
        _soak, _memoryLog, _quiet, _distributed, _noSyncBn,
    ];

    public TrainSettings Read(ParseResult parse)
    {
        if (parse.GetValue(_noBiasBeforeBn) && parse.GetValue(_biasBeforeBn))
            throw new TrainArgumentException("--bias-before-bn and --no-bias-before-bn contradict each other");
        string? hidden = parse.GetValue(_hidden);
        return new TrainSettings
        {
            Model = parse.GetValue(_model)!,
            Hidden = hidden is null ? [.. NormSharp.Models.ModelZoo.SeedHiddenSizes] : TrainCommand.ParseSizes(hidden, "--hidden"),
            HiddenGiven = hidden is not null,
            Activation = parse.GetValue(_activation),
            BatchNorm = parse.GetValue(_bn) || parse.GetValue(_norm) == "batchnorm",
            BatchNormMomentum = parse.GetValue(_bnMomentum),
            BatchNormEps = parse.GetValue(_bnEps),
            BiasBeforeBatchNorm = parse.GetValue(_biasBeforeBn),
            Dataset = parse.GetValue(_dataset)!,
            DataDirectory = parse.GetValue(_dataDir),
            ValidationSplit = parse.GetValue(_valSplit),
            TrainLimit = parse.GetValue(_trainLimit),
            Epochs = parse.GetValue(_epochs),
            Steps = parse.GetValue(_steps),
            BatchSize = parse.GetValue(_batchSize),
            Optimizer = parse.GetValue(_optimizer)!,
            LearningRate = parse.GetValue(_lr),
            Momentum = parse.GetValue(_momentum),
            WeightDecay = parse.GetValue(_weightDecay),
            ClipNorm = parse.GetValue(_clipNorm),
            ClipValue = parse.GetValue(_clipValue),
            LearningRateSchedule = parse.GetValue(_schedule),
            Seed = parse.GetValue(_seed),
            Threads = parse.GetValue(_threads),
            EvalEvery = parse.GetValue(_evalEvery),
            TargetAccuracy = parse.GetValue(_target),
            MetricsPath = parse.GetValue(_metrics),
            PlotPath = parse.GetValue(_plot),
            SavePath = parse.GetValue(_save),
            SaveInitialPath = parse.GetValue(_saveInitial),
            CheckpointPath = parse.GetValue(_checkpoint),
            CheckpointEvery = parse.GetValue(_checkpointEvery),
            ResumePath = parse.GetValue(_resume),
            OnNonFinite = parse.GetValue(_onNan) == "skip-batch" ? NonFinitePolicy.SkipBatch : NonFinitePolicy.Stop,
            SoakMinutes = parse.GetValue(_soak),
            MemoryLogPath = parse.GetValue(_memoryLog),
            Quiet = parse.GetValue(_quiet),
            Distributed = parse.GetValue(_distributed),
            NoSyncBatchNorm = parse.GetValue(_noSyncBn),
        };
    }
}

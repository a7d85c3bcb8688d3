using System.Globalization;
using System.Text.Json;
using NormSharp.Data;
using NormSharp.Layers;
using NormSharp.Optimizers;
using NormSharp.Training;

namespace NormSharp.Serialization;

/// <summary>
/// Saves and restores everything a training run needs to continue bit-identically: weights and BN
/// statistics, optimizer state and learning rate, the schedule, the training position, every random
/// generator (data loader, stochastic layers, <see cref="RandomState.Global"/>) and the loader's current
/// epoch order and position — in one safetensors file, written atomically.
/// </summary>
/// <remarks>
/// <para>Tensor names: <c>model.*</c> (the model's state dict, PyTorch names), <c>optimizer.*</c>
/// (<see cref="Optimizer.StateDict"/>), <c>rng.loader</c>, <c>rng.global</c>, <c>rng.module.{name}</c>
/// (<see cref="Rng.GetState"/> words as I64), <c>loader.order</c> (I64). The metadata key
/// <see cref="MetadataKey"/> holds a JSON object with the position, learning rate, schedule epoch and
/// the loader's settings; <see cref="ModelIO.ArchitectureKey"/> holds the architecture, so
/// <see cref="LoadModel"/> can rebuild the model from a checkpoint alone.</para>
/// <para>Usage: <c>Checkpoint.Save(path, trainer, loader, position)</c> (or
/// <see cref="CheckpointCallback"/> during <see cref="Trainer.Fit"/>); to resume, build the same model,
/// optimizer, schedule and loader, call <c>var position = Checkpoint.Load(path, trainer, loader)</c>, then
/// <c>trainer.Fit(loader, options with { ResumeFrom = position })</c>.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>Metadata key of the checkpoint's JSON.</summary>
    public const string MetadataKey = "normsharp.checkpoint";

    private const int FormatVersion = 1;

    /// <summary>Writes a checkpoint atomically (a reader or a SIGKILL never sees a partial file).</summary>
    /// <param name="path">Target file (<c>*.safetensors</c>); replaced atomically.</param>
    /// <param name="trainer">Model and optimizer.</param>
    /// <param name="loader">The training data loader (order, position, generator).</param>
    /// <param name="position">Where the run stands (<see cref="TrainingPosition.AtStepEnd"/>, <see cref="TrainingPosition.After"/>).</param>
    /// <param name="scheduler">The learning-rate schedule, when there is one.</param>
    public static void Save(string path, Trainer trainer, DataLoader loader, TrainingPosition position, LearningRateScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(position);
        var file = new SafetensorsFile();
        file.Metadata["format"] = "pt";
        file.Metadata[MetadataKey] = DescribeRun(trainer, loader, position, scheduler);
        file.Metadata[ModelIO.ArchitectureKey] = ArchitectureJson.Serialize(trainer.Model);
        StateDictCodec.Add(file, trainer.Model.StateDict(), "model.");
        foreach (var (key, tensor) in trainer.Optimizer.StateDict())
            file.Tensors.Add("optimizer." + key, SafetensorsTensor.FromTensor(tensor));
        AddRng(file, "rng.loader", loader.Generator);
        AddRng(file, "rng.global", RandomState.Global);
        foreach (var (name, module) in trainer.Model.NamedModules())
            if (module is IStochastic stochastic) AddRng(file, "rng.module." + name, stochastic.Generator);
        var order = new long[loader.Order.Length];
        for (int i = 0; i < order.Length; i++) order[i] = loader.Order[i];
        file.Tensors.Add("loader.order", SafetensorsTensor.FromInt64(order, order.Length));
        file.Write(path);
    }

    /// <summary>
    /// Restores a checkpoint into <paramref name="trainer"/>, <paramref name="loader"/> and
    /// <paramref name="scheduler"/> (built exactly as for the original run) and returns the position to
    /// pass as <see cref="FitOptions.ResumeFrom"/>. Everything is validated before anything is changed.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    /// <exception cref="InvalidDataException">The checkpoint does not fit the given model, optimizer or loader.</exception>
    public static TrainingPosition Load(string path, Trainer trainer, DataLoader loader, LearningRateScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(loader);
        var file = SafetensorsFile.Read(path);
        var run = ReadRun(file, path);
        Require(run.Optimizer == trainer.Optimizer.GetType().Name, path,
            $"it was written with optimizer {run.Optimizer}, not {trainer.Optimizer.GetType().Name}");
        Require(run.DatasetCount == loader.Dataset.Count && run.BatchSize == loader.BatchSize && run.Shuffle == loader.Shuffle && run.DropLast == loader.DropLast, path,
            $"its data loader had {run.DatasetCount} examples, batch {run.BatchSize}, shuffle {run.Shuffle}, drop-last {run.DropLast}; this one has " +
            $"{loader.Dataset.Count}, {loader.BatchSize}, {loader.Shuffle}, {loader.DropLast}");
        Require(scheduler is null || run.SchedulerEpoch is not null, path, "it was written without a learning-rate schedule but one was given");
        long[] order = Entry(file, "loader.order", path).ToInt64Array();
        Require(order.Length == loader.Order.Length && order.All(i => i >= 0 && i < order.Length), path, "its loader order does not index this dataset");
        var stochastic = trainer.Model.NamedModules().Where(m => m.Module is IStochastic).ToList();
        var rngStates = new Dictionary<string, ulong[]> { ["rng.loader"] = RngState(file, "rng.loader", path), ["rng.global"] = RngState(file, "rng.global", path) };
        foreach (var (name, _) in stochastic) rngStates["rng.module." + name] = RngState(file, "rng.module." + name, path);

        try
        {
            trainer.Model.LoadStateDict(StateDictCodec.Extract(file, "model."), strict: true);
            trainer.Optimizer.LoadStateDict(StateDictCodec.Extract(file, "optimizer."));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"checkpoint '{path}' does not fit this model or optimizer: {e.Message}", e);
        }
        trainer.Optimizer.LearningRate = run.LearningRate;
        if (scheduler is not null) scheduler.LastEpoch = run.SchedulerEpoch!.Value;
        trainer.Optimizer.LearningRate = run.LearningRate; // the schedule's setter recomputes it; keep the saved value
        loader.Generator.SetState(rngStates["rng.loader"]);
        RandomState.Global.SetState(rngStates["rng.global"]);
        foreach (var (name, module) in stochastic) ((IStochastic)module).Generator.SetState(rngStates["rng.module." + name]);
        for (int i = 0; i < order.Length; i++) loader.Order[i] = (int)order[i];
        loader.Position = run.LoaderPosition;
        return run.Position;
    }

    /// <summary>Rebuilds the model stored in a checkpoint (architecture and weights), e.g. to predict with it.</summary>
    public static Module LoadModel(string path)
    {
        var file = SafetensorsFile.Read(path);
        var weights = new SafetensorsFile();
        foreach (var (key, value) in file.Metadata) weights.Metadata[key] = value;
        foreach (var (name, tensor) in file.Tensors)
            if (name.StartsWith("model.", StringComparison.Ordinal)) weights.Tensors.Add(name["model.".Length..], tensor);
        return ModelIO.FromFile(weights, path);
    }

    /// <summary>The position recorded in a checkpoint, without loading it.</summary>
    public static TrainingPosition ReadPosition(string path) => ReadRun(SafetensorsFile.Read(path), path).Position;

    private static string DescribeRun(Trainer trainer, DataLoader loader, TrainingPosition position, LearningRateScheduler? scheduler)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", FormatVersion);
            json.WriteNumber("step", position.Step);
            json.WriteNumber("epoch", position.Epoch);
            json.WriteNumber("step_in_epoch", position.StepInEpoch);
            json.WriteBoolean("epoch_end_pending", position.EpochEndPending);
            // The float's bits, so the learning rate comes back exactly whatever the JSON formatter does.
            json.WriteNumber("learning_rate_bits", BitConverter.SingleToInt32Bits(trainer.Optimizer.LearningRate));
            json.WriteNumber("learning_rate", trainer.Optimizer.LearningRate);
            if (scheduler is not null) json.WriteNumber("scheduler_last_epoch", scheduler.LastEpoch);
            json.WriteString("optimizer", trainer.Optimizer.GetType().Name);
            json.WriteNumber("loader_position", loader.Position);
            json.WriteNumber("dataset_count", loader.Dataset.Count);
            json.WriteNumber("batch_size", loader.BatchSize);
            json.WriteBoolean("shuffle", loader.Shuffle);
            json.WriteBoolean("drop_last", loader.DropLast);
            json.WriteString("saved_utc", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private sealed record RunInfo(TrainingPosition Position, float LearningRate, int? SchedulerEpoch, string Optimizer,
        int LoaderPosition, int DatasetCount, int BatchSize, bool Shuffle, bool DropLast);

    private static RunInfo ReadRun(SafetensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue(MetadataKey, out var text))
            throw new InvalidDataException($"'{path}' is not a NormSharp checkpoint (no '{MetadataKey}' metadata; a model file loads with ModelIO.Load)");
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            int version = root.GetProperty("version").GetInt32();
            Require(version == FormatVersion, path, $"checkpoint format version {version} (this build reads {FormatVersion})");
            var position = new TrainingPosition(root.GetProperty("step").GetInt64(), root.GetProperty("epoch").GetInt32(),
                root.GetProperty("step_in_epoch").GetInt32(), root.GetProperty("epoch_end_pending").GetBoolean());
            int? schedulerEpoch = root.TryGetProperty("scheduler_last_epoch", out var s) ? s.GetInt32() : null;
            return new RunInfo(position, BitConverter.Int32BitsToSingle(root.GetProperty("learning_rate_bits").GetInt32()), schedulerEpoch,
                root.GetProperty("optimizer").GetString()!, root.GetProperty("loader_position").GetInt32(), root.GetProperty("dataset_count").GetInt32(),
                root.GetProperty("batch_size").GetInt32(), root.GetProperty("shuffle").GetBoolean(), root.GetProperty("drop_last").GetBoolean());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"checkpoint '{path}': metadata '{MetadataKey}' is malformed: {e.Message}", e);
        }
    }

    private static void AddRng(SafetensorsFile file, string name, Rng rng)
    {
        ulong[] state = rng.GetState();
        var words = new long[state.Length];
        for (int i = 0; i < state.Length; i++) words[i] = unchecked((long)state[i]);
        file.Tensors.Add(name, SafetensorsTensor.FromInt64(words, words.Length));
    }

    private static ulong[] RngState(SafetensorsFile file, string name, string path)
    {
        var tensor = Entry(file, name, path);
        Require(tensor.DType == SafetensorsDType.I64 && tensor.Shape is [6], path, $"'{name}' is {tensor}, expected I64[6] generator state");
        long[] words = tensor.ToInt64Array();
        var state = new ulong[words.Length];
        for (int i = 0; i < words.Length; i++) state[i] = unchecked((ulong)words[i]);
        Require((state[0] | state[1] | state[2] | state[3]) != 0, path, $"'{name}' is an all-zero generator state");
        return state;
    }

    private static SafetensorsTensor Entry(SafetensorsFile file, string name, string path) =>
        file.Tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new InvalidDataException($"checkpoint '{path}' lacks '{name}' (the model has a stochastic layer the checkpoint did not save, or the file is not a checkpoint)");

    private static void Require(bool condition, string path, string problem)
    {
        if (!condition) throw new InvalidDataException($"checkpoint '{path}' cannot be resumed here: {problem}");
    }
}

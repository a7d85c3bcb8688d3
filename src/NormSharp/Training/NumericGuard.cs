using System.Globalization;
using NormSharp.Kernels;
using NormSharp.Layers;

namespace NormSharp.Training;

/// <summary>
/// The numeric-fault check of <see cref="FitLoop"/> (<see cref="FitOptions.OnNonFinite"/>): after the
/// backward pass it checks the loss and every gradient, after the update every weight, and on a fault
/// diagnoses where the NaN/∞ first appeared. For <see cref="NonFinitePolicy.SkipBatch"/> it keeps a copy
/// of the model's buffers (BN running statistics, a few KB) to undo a skipped batch's forward pass.
/// </summary>
internal sealed class NumericGuard
{
    private readonly Trainer _trainer;
    private readonly (string Name, Parameter Parameter)[] _parameters;
    private readonly Dictionary<string, Module> _modules;
    private readonly Tensor[] _buffers;
    private readonly float[][] _bufferCopies;

    public NumericGuard(Trainer trainer, NonFinitePolicy policy)
    {
        _trainer = trainer;
        Policy = policy;
        _parameters = [.. trainer.Model.NamedParameters()];
        _modules = trainer.Model.NamedModules().ToDictionary(m => m.Name, m => m.Module, StringComparer.Ordinal);
        _buffers = policy == NonFinitePolicy.SkipBatch ? [.. trainer.Model.NamedBuffers().Select(b => b.Buffer)] : [];
        _bufferCopies = [.. _buffers.Select(b => new float[b.Size])];
    }

    public NonFinitePolicy Policy { get; }

    /// <summary>Remembers the buffers before a step (skip-batch only).</summary>
    public void BeforeStep()
    {
        for (int i = 0; i < _buffers.Length; i++) _buffers[i].Span.CopyTo(_bufferCopies[i]);
    }

    /// <summary>Puts the buffers back as they were before the step (skip-batch only).</summary>
    public void RestoreBuffers()
    {
        for (int i = 0; i < _buffers.Length; i++) _bufferCopies[i].AsSpan().CopyTo(_buffers[i].Span);
    }

    /// <summary>Null when the loss and every gradient are finite; otherwise the diagnosis.</summary>
    public NumericFault? CheckLossAndGradients(Tensor x, Tensor y, float loss)
    {
        if (!float.IsFinite(loss)) return DiagnoseLoss(x, y, loss);
        // The backward pass runs from the output down, so the non-finite gradient closest to the output is
        // where it appeared; every layer below inherits it.
        for (int i = _parameters.Length - 1; i >= 0; i--)
        {
            var (name, parameter) = _parameters[i];
            if (!parameter.RequiresGrad || FiniteCheck.AllFinite(parameter.Grad.Span)) continue;
            string layer = LayerOf(name);
            return new NumericFault(NumericFaultKind.Gradient, "gradient", layer,
                $"the loss is finite ({Number(loss)}) but the gradient of '{name}' is not; in backward order it first appears in layer {Describe(layer)}");
        }
        return null;
    }

    /// <summary>Null when every weight is finite after the update; otherwise which one is not.</summary>
    public NumericFault? CheckWeights()
    {
        foreach (var (name, parameter) in _parameters)
        {
            if (FiniteCheck.AllFinite(parameter.Value.Span)) continue;
            string layer = LayerOf(name);
            return new NumericFault(NumericFaultKind.Weight, "weight", layer,
                $"the update made '{name}' of layer {Describe(layer)} non-finite from finite gradients (learning rate {Number(_trainer.Optimizer.LearningRate)} too high?)");
        }
        return null;
    }

    private NumericFault DiagnoseLoss(Tensor x, Tensor y, float loss)
    {
        string what = $"loss ({Number(loss)})";
        int bad = FiniteCheck.IndexOfNonFinite(x.Span);
        if (bad >= 0)
        {
            int row = bad / Math.Max(1, x.Size / x.Dim(0));
            return new NumericFault(NumericFaultKind.Loss, what, "input", $"the input batch already holds {Number(x.Span[bad])} (row {row} of the batch)");
        }
        if (_trainer.Model is not Sequential sequential)
            return new NumericFault(NumericFaultKind.Loss, what, null, "the model is not a Sequential, so the layer cannot be told");
        // Replay the forward pass layer by layer (same mode; skip-batch restores the buffers afterwards).
        var h = x;
        for (int i = 0; i < sequential.Count; i++)
        {
            h = sequential[i].Forward(h);
            int at = FiniteCheck.IndexOfNonFinite(h.Span);
            if (at < 0) continue;
            string layer = i.ToString(CultureInfo.InvariantCulture);
            return new NumericFault(NumericFaultKind.Loss, what, layer,
                $"it first appears in the output of layer {Describe(layer)} ({Number(h.Span[at])}; its weights are finite: {WeightsFinite(sequential[i])})");
        }
        if (float.IsFinite(_trainer.Loss.Forward(h, y)))
            return new NumericFault(NumericFaultKind.Loss, what, null, "replaying the forward pass gives a finite output and loss (a transient fault)");
        return new NumericFault(NumericFaultKind.Loss, what, "loss",
            $"the model output is finite; the loss function {_trainer.Loss.GetType().Name} produced it (targets out of range?)");
    }

    private static bool WeightsFinite(Module module) =>
        module.NamedParameters().All(p => FiniteCheck.AllFinite(p.Parameter.Value.Span));

    private string Describe(string layer) =>
        _modules.TryGetValue(layer, out var module) ? $"{layer} ({module.GetType().Name})" : layer;

    private static string LayerOf(string parameterName)
    {
        int dot = parameterName.LastIndexOf('.');
        return dot < 0 ? "" : parameterName[..dot];
    }

    private static string Number(float value) => value.ToString("G6", CultureInfo.InvariantCulture);
}

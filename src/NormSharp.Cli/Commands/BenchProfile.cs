using System.Diagnostics;
using System.Globalization;
using NormSharp.Layers;
using NormSharp.Training;

namespace NormSharp.Cli.Commands;

/// <summary>
/// Where a training step's time goes, per layer type: the step of <see cref="Trainer.TrainStep"/> taken
/// apart (clear gradients, each layer's forward, loss, each layer's backward in reverse, optimizer), with a
/// timestamp around every piece. Used by <c>normsharp bench train --profile</c>.
/// </summary>
internal sealed class LayerProfile(Sequential model, Trainer trainer, Tensor[] xs, Tensor[] ys)
{
    private readonly Dictionary<string, (long Forward, long Backward)> _ticks = [];
    private readonly Parameter[] _parameters = model.NamedParameters().Select(p => p.Parameter).ToArray();
    private long _loss, _optimizer, _clear, _total;
    private int _steps;

    public LayerProfile Run(int steps)
    {
        var layers = model.Layers;
        var forward = new long[layers.Count];
        var backward = new long[layers.Count];
        for (int s = 0; s < steps; s++)
        {
            long stepStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < _parameters.Length; i++) _parameters[i].Grad.Clear();
            long t = Stopwatch.GetTimestamp();
            _clear += t - stepStart;
            var x = xs[s % xs.Length];
            for (int i = 0; i < layers.Count; i++)
            {
                x = layers[i].Forward(x);
                long now = Stopwatch.GetTimestamp();
                forward[i] += now - t;
                t = now;
            }
            trainer.Loss.Forward(x, ys[s % ys.Length]);
            var grad = trainer.Loss.Backward();
            long afterLoss = Stopwatch.GetTimestamp();
            _loss += afterLoss - t;
            t = afterLoss;
            layers[0].NeedsInputGradient = false; // as Trainer.TrainStep: nobody consumes dL/d(input)
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                grad = layers[i].Backward(grad);
                long now = Stopwatch.GetTimestamp();
                backward[i] += now - t;
                t = now;
            }
            trainer.Optimizer.Step();
            long end = Stopwatch.GetTimestamp();
            _optimizer += end - t;
            _total += end - stepStart;
        }
        _steps += steps;
        for (int i = 0; i < layers.Count; i++)
        {
            string name = layers[i].GetType().Name;
            var (f, b) = _ticks.GetValueOrDefault(name);
            _ticks[name] = (f + forward[i], b + backward[i]);
        }
        return this;
    }

    public void Print(TextWriter output)
    {
        double ms(long ticks) => 1000.0 * ticks / Stopwatch.Frequency / Math.Max(1, _steps);
        string f(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        string share(long ticks) => (100.0 * ticks / Math.Max(1, _total)).ToString("F1", CultureInfo.InvariantCulture);
        output.WriteLine($"profile: {_steps} steps, {f(ms(_total))} ms/step (timed layer by layer)");
        output.WriteLine("profile: part                 forward ms  backward ms  share %");
        foreach (var (name, (fw, bw)) in _ticks.OrderByDescending(e => e.Value.Forward + e.Value.Backward))
            output.WriteLine($"profile: {name,-20} {f(ms(fw)),10}  {f(ms(bw)),11}  {share(fw + bw),7}");
        output.WriteLine($"profile: {"loss",-20} {f(ms(_loss)),10}  {"",11}  {share(_loss),7}");
        output.WriteLine($"profile: {"optimizer step",-20} {f(ms(_optimizer)),10}  {"",11}  {share(_optimizer),7}");
        output.WriteLine($"profile: {"zero grad",-20} {f(ms(_clear)),10}  {"",11}  {share(_clear),7}");
    }
}

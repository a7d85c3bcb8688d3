namespace NormSharp.Layers;

/// <summary>
/// A layer that draws random numbers in training mode (Dropout's mask, RReLU's slopes). The trainer
/// seeds <see cref="Generator"/> from its seed so runs are reproducible, and checkpoints save and restore
/// its state (<see cref="Rng.GetState"/>) so a resumed run draws what an uninterrupted one would.
/// </summary>
public interface IStochastic
{
    /// <summary>The generator this layer draws from.</summary>
    Rng Generator { get; set; }
}

namespace NormSharp.Optimizers;

/// <summary>
/// A learning-rate schedule with PyTorch's epoch semantics: construction sets <see cref="LastEpoch"/> to
/// 0 and the optimizer's rate to the base rate; each <see cref="Step"/> (call it once per epoch, after
/// the epoch's optimizer steps) advances the epoch and sets the rate for the next one.
/// </summary>
public abstract class LearningRateScheduler
{
    private int _lastEpoch;

    protected LearningRateScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        BaseLearningRate = optimizer.LearningRate;
    }

    public Optimizer Optimizer { get; }

    /// <summary>The rate at construction (PyTorch's <c>initial_lr</c>).</summary>
    public float BaseLearningRate { get; }

    /// <summary>Epochs completed (0 after construction); settable to resume from a checkpoint.</summary>
    public int LastEpoch
    {
        get => _lastEpoch;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(LastEpoch));
            _lastEpoch = value;
            Optimizer.LearningRate = (float)LearningRateAt(value);
        }
    }

    /// <summary>Advances one epoch and updates the optimizer's learning rate.</summary>
    public void Step() => LastEpoch = _lastEpoch + 1;

    /// <summary>The closed-form rate after <paramref name="epoch"/> epochs, in double precision.</summary>
    public abstract double LearningRateAt(int epoch);
}

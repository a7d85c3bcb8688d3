using NormSharp.Layers;
using NormSharp.Serialization;

namespace NormSharp.Distributed;

/// <summary>
/// Swaps every <see cref="BatchNorm1d"/>/<see cref="BatchNorm2d"/> of a model for its synchronized twin,
/// as PyTorch's <c>nn.SyncBatchNorm.convert_sync_batchnorm</c>.
/// </summary>
/// <remarks>
/// <para>Like PyTorch, the result is a new module tree (use it in place of the old one): Sequential
/// containers are rebuilt around the converted layers, every other layer is the same object. Weights,
/// running statistics, <see cref="Parameter.RequiresGrad"/>, <see cref="BatchNormBase.Frozen"/> and the
/// training mode carry over. Build the optimizer <b>after</b> converting (the BN parameters are new
/// objects), as PyTorch's DDP documentation prescribes.</para>
/// <para>Ghost BN and Batch Renorm are left alone (Ghost BN's virtual batches are per-process by
/// definition). BN inside a custom container other than <see cref="Sequential"/> cannot be replaced and
/// is reported by name.</para>
/// </remarks>
public static class SyncBatchNorm
{
    /// <summary>Makes <see cref="SyncBatchNorm1d"/> and <see cref="SyncBatchNorm2d"/> loadable from
    /// architecture JSON and checkpoints (<see cref="LayerTypes.Register"/>). Idempotent.</summary>
    public static void RegisterLayerTypes()
    {
        LayerTypes.Register(typeof(SyncBatchNorm1d));
        LayerTypes.Register(typeof(SyncBatchNorm2d));
    }

    /// <summary>Returns <paramref name="model"/> with every BatchNorm1d/2d replaced by a SyncBatchNorm over
    /// <paramref name="communicator"/>; existing SyncBatchNorm layers are moved onto it.</summary>
    /// <exception cref="NotSupportedException">A BN layer sits inside a container that is not a Sequential.</exception>
    public static Module Convert(Module model, ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(communicator);
        RegisterLayerTypes();
        return ConvertTree(model, communicator, "model");
    }

    /// <summary>Number of synchronized BN layers in <paramref name="model"/>.</summary>
    public static int Count(Module model) =>
        model.NamedModules().Count(m => m.Module is SyncBatchNorm1d or SyncBatchNorm2d);

    private static Module ConvertTree(Module module, ICommunicator communicator, string path)
    {
        switch (module)
        {
            case BatchNorm1d bn:
                return CopyState(bn, new SyncBatchNorm1d(bn.NumFeatures, bn.Eps, bn.Momentum, bn.Affine, bn.TrackRunningStats) { Communicator = communicator });
            case BatchNorm2d bn:
                return CopyState(bn, new SyncBatchNorm2d(bn.NumFeatures, bn.Eps, bn.Momentum, bn.Affine, bn.TrackRunningStats) { Communicator = communicator });
            case SyncBatchNorm1d sync1:
                sync1.Communicator = communicator;
                return sync1;
            case SyncBatchNorm2d sync2:
                sync2.Communicator = communicator;
                return sync2;
            case Sequential sequential:
            {
                var layers = new Module[sequential.Count];
                bool changed = false;
                for (int i = 0; i < layers.Length; i++)
                {
                    layers[i] = ConvertTree(sequential[i], communicator, $"{path}.{i}");
                    changed |= !ReferenceEquals(layers[i], sequential[i]);
                }
                if (!changed) return sequential;
                var rebuilt = new Sequential(layers) { NeedsInputGradient = sequential.NeedsInputGradient };
                if (!sequential.Training) rebuilt.Train(false);
                return rebuilt;
            }
            default:
                foreach (var (name, child) in module.NamedModules())
                    if (child is BatchNorm1d or BatchNorm2d)
                        throw new NotSupportedException(
                            $"cannot convert {path}.{name} ({child.GetType().Name}) inside {module.GetType().Name}: only Sequential containers can be rebuilt; " +
                            "build that part of the model with SyncBatchNorm1d/2d directly");
                return module;
        }
    }

    private static BatchNormBase CopyState(BatchNormBase source, BatchNormBase target)
    {
        target.LoadStateDict(source.StateDict());
        if (source.WeightParameter is { } w) target.WeightParameter!.RequiresGrad = w.RequiresGrad;
        if (source.BiasParameter is { } b) target.BiasParameter!.RequiresGrad = b.RequiresGrad;
        target.NeedsInputGradient = source.NeedsInputGradient;
        target.Frozen = source.Frozen;
        target.Train(source.Training || source.Frozen); // a frozen layer reports eval but its model may train
        return target;
    }
}

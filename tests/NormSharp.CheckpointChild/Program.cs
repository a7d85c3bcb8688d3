using NormSharp;
using NormSharp.Data;
using NormSharp.Losses;
using NormSharp.Models;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

// Usage: NormSharp.CheckpointChild <checkpoint.safetensors> [steps]
// Trains an MLP+BN with Adam on random data, saving a checkpoint to the same path after every step and printing
// "saved <step>" once it is on disk. Runs until killed (or for [steps] steps). A checkpoint here is ~5 MB, so a
// SIGKILL at a random moment often lands inside a write.
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: NormSharp.CheckpointChild <checkpoint.safetensors> [steps]");
    return 2;
}
string path = args[0];
long steps = args.Length == 2 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : long.MaxValue;

var rng = new Rng(1);
var features = new Tensor(256, 784);
var labels = new Tensor(256);
for (int i = 0; i < features.Size; i++) features[i] = rng.NextUniform(0f, 1f);
for (int i = 0; i < labels.Size; i++) labels[i] = rng.NextInt(10);
var loader = new DataLoader(new InMemoryDataset("random", features, labels, numClasses: 10), batchSize: 64, shuffle: true, seed: 2);
var model = ModelZoo.Mlp(784, [400, 200], 10, new ModelOptions { Normalization = NormalizationKind.BatchNorm, Rng = rng });
var trainer = new Trainer(model, new CrossEntropyLoss(), new Adam(model.NamedParameters().Select(p => p.Parameter)));

long step = 0;
int epoch = 1, stepInEpoch = 0;
loader.StartEpoch();
while (step < steps)
{
    if (!loader.TryNextBatch(out var x, out var y))
    {
        epoch++;
        stepInEpoch = 0;
        loader.StartEpoch();
        continue;
    }
    trainer.TrainStep(x, y);
    step++;
    stepInEpoch++;
    Checkpoint.Save(path, trainer, loader, new TrainingPosition(step, epoch, stepInEpoch, stepInEpoch == loader.BatchesPerEpoch));
    Console.WriteLine($"saved {step}");
}
return 0;

using NormSharp.Data;
using NormSharp.Distributed;
using NormSharp.Layers;
using NormSharp.Losses;
using NormSharp.Optimizers;
using NormSharp.Serialization;
using NormSharp.Training;

namespace NormSharp.Tests.Distributed;

/// <summary>The pieces of data-parallel training that need no MPI: shards, buckets, the converter, the step.</summary>
public sealed class DistributedBuildingBlockTests
{
    [Theory]
    [InlineData(1, 100, 10)]
    [InlineData(2, 100, 10)]
    [InlineData(3, 100, 10)] // batches of 10 split 3/3/4, tail of 0
    [InlineData(4, 103, 25)] // a tail of 3 rows cannot feed 4 ranks (see the next test): drop-last
    public void Shards_InRankOrder_AreTheSingleProcessBatches(int ranks, int count, int batch)
    {
        var data = new InMemoryDataset("rows", Tensor.FromArray(Enumerable.Range(0, count).Select(i => (float)i).ToArray(), count, 1),
            Tensor.FromArray(Enumerable.Range(0, count).Select(i => (float)(i % 3)).ToArray(), count), 3);
        bool dropLast = count % batch != 0 && count % batch < ranks;
        var single = new DataLoader(data, batch, shuffle: true, seed: 9, dropLast: dropLast);
        var shards = Enumerable.Range(0, ranks).Select(r => new ShardedBatchLoader(new DataLoader(data, batch, shuffle: true, seed: 9, dropLast: dropLast), r, ranks)).ToArray();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            single.StartEpoch();
            foreach (var s in shards) s.StartEpoch();
            while (single.TryNextBatch(out var x, out var y))
            {
                var rows = new List<float>();
                var labels = new List<float>();
                foreach (var s in shards)
                {
                    Assert.True(s.TryNextShard(out var xs, out var ys, out int globalRows));
                    Assert.Equal(x.Dim(0), globalRows);
                    Assert.Equal(s.ShardOf(globalRows).Count, xs.Dim(0));
                    rows.AddRange(xs.ToArray());
                    labels.AddRange(ys.ToArray());
                }
                Assert.Equal(x.ToArray(), rows);
                Assert.Equal(y.ToArray(), labels);
            }
            Assert.All(shards, s => Assert.False(s.TryNextShard(out _, out _, out _)));
        }
    }

    [Fact]
    public void TailBatchSmallerThanTheRankCount_IsAClearError()
    {
        var data = new InMemoryDataset("rows", new Tensor(11, 2), new Tensor(11));
        var shard = new ShardedBatchLoader(new DataLoader(data, 4, shuffle: false), 0, 4);
        shard.StartEpoch();
        Assert.True(shard.TryNextShard(out _, out _, out _));
        Assert.True(shard.TryNextShard(out _, out _, out _));
        var e = Assert.Throws<InvalidOperationException>(() => shard.TryNextShard(out _, out _, out _));
        Assert.Contains("3 examples for 4 ranks", e.Message);
        Assert.Throws<ArgumentException>(() => new ShardedBatchLoader(new DataLoader(data, 2), 0, 3));
    }

    [Fact]
    public void GradientAllreducer_PacksBucketsAndWritesTheSumsBack()
    {
        var parameters = new[] { 5, 3, 7, 2 }.Select(n => new Parameter(new Tensor(n))).ToArray();
        for (int p = 0; p < parameters.Length; p++)
            for (int i = 0; i < parameters[p].Grad.Size; i++) parameters[p].Grad[i] = 10 * p + i;
        var ranks = new MirroredRanks(3);
        var reducer = new GradientAllreducer(ranks, parameters, bucketElements: 8);
        // Reverse order 2, 7, 3, 5 into buckets of ≤ 8: [2], [7], [3, 5].
        Assert.Equal(3, reducer.BucketCount);
        Assert.Equal(17, reducer.Elements);
        reducer.SumGradients();
        Assert.Equal([2, 7, 8], ranks.AllreduceLengths);
        for (int p = 0; p < parameters.Length; p++)
            for (int i = 0; i < parameters[p].Grad.Size; i++) Assert.Equal(3f * (10 * p + i), parameters[p].Grad[i]);
    }

    [Fact]
    public void Convert_SwapsEveryBatchNorm_KeepingStateNamesAndModes()
    {
        var inner = new Sequential(new Dense(4, 3), new BatchNorm1d(3, momentum: 0.3f));
        var model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2, eps: 1e-3f), new Flatten(), new Dense(8, 4), inner);
        ((BatchNorm2d)model[1]).RunningMean!.Fill(0.25f);
        ((BatchNorm1d)inner[1]).WeightParameter!.RequiresGrad = false;
        model.Eval();
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

        var converted = (Sequential)SyncBatchNorm.Convert(model, SingleProcessCommunicator.Instance);

        Assert.Equal(2, SyncBatchNorm.Count(converted));
        var sync2 = Assert.IsType<SyncBatchNorm2d>(converted[1]);
        var sync1 = Assert.IsType<SyncBatchNorm1d>(((Sequential)converted[4])[1]);
        Assert.Same(model[0], converted[0]);
        Assert.Equal(1e-3f, sync2.Eps);
        Assert.Equal(0.3f, sync1.Momentum);
        Assert.False(sync1.WeightParameter!.RequiresGrad);
        Assert.False(converted.Training);
        Assert.False(sync1.Training);
        Assert.NotNull(sync1.Synchronizer);
        var after = converted.StateDict();
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (key, value) in before) Assert.Equal(value, after[key].ToArray());
        // The converted model's architecture round-trips (the Sync layers are registered layer types).
        var rebuilt = ArchitectureJson.Deserialize(ArchitectureJson.Serialize(converted));
        Assert.IsType<SyncBatchNorm1d>(((Sequential)((Sequential)rebuilt)[4])[1]);
    }

    private sealed class Wrapper(Module inner) : Module
    {
        public override Tensor Forward(Tensor x) => inner.Forward(x);
        public override Tensor Backward(Tensor gradOutput) => inner.Backward(gradOutput);
        public override int[] OutputShape(int[] inputShape) => inner.OutputShape(inputShape);
        public override IEnumerable<(string Name, Module Module)> Children() => [("inner", inner)];
    }

    [Fact]
    public void Convert_RefusesBatchNormInsideACustomContainer_ByName()
    {
        var model = new Sequential(new Dense(2, 2), new Wrapper(new BatchNorm1d(2)));
        var e = Assert.Throws<NotSupportedException>(() => SyncBatchNorm.Convert(model, SingleProcessCommunicator.Instance));
        Assert.Contains("model.1.inner", e.Message);
    }

    [Fact]
    public void OneRankStep_IsBitIdenticalToTheOrdinaryTrainer()
    {
        var data = NormSharp.Tests.Training.FakeData.OneHot(64, 4, 2f, seed: 5);
        Sequential Make() => new(new Dense(4, 8, rng: new Rng(1)), new BatchNorm1d(8), new ReLU(), new Dense(8, 4, rng: new Rng(2)));
        var a = Make();
        var b = SyncBatchNorm.Convert(Make(), SingleProcessCommunicator.Instance);
        var plain = new Trainer(a, new CrossEntropyLoss(), new Sgd(a.NamedParameters().Select(p => p.Parameter), 0.1f, 0.9f));
        var distributed = new DistributedTrainer(b, new CrossEntropyLoss(), new Sgd(b.NamedParameters().Select(p => p.Parameter), 0.1f, 0.9f),
            SingleProcessCommunicator.Instance);
        var x = data.Features;
        var y = data.Targets;
        for (int step = 0; step < 5; step++)
        {
            float loss = plain.TrainStep(x, y);
            var result = distributed.TrainStep(x, y, x.Dim(0));
            Assert.Equal(loss, (float)result.Loss);
            Assert.Equal(64, result.Examples);
            Assert.NotNull(result.Accuracy);
        }
        foreach (var (key, value) in a.StateDict()) Assert.Equal(value.ToArray(), b.StateDict()[key].ToArray());
    }

    [Fact]
    public void ShardGradient_IsScaledToTheGlobalMean()
    {
        // Two mirrored ranks, each with the same 8 rows of a global batch of 16: the summed gradient must be
        // the single-process gradient of those 16 rows (= of the 8, duplicated).
        var data = NormSharp.Tests.Training.FakeData.OneHot(8, 3, 2f, seed: 6);
        var single = new Dense(3, 3, rng: new Rng(4));
        var replica = new Dense(3, 3, rng: new Rng(4));
        var trainer = new Trainer(single, new CrossEntropyLoss(), new Sgd(single.NamedParameters().Select(p => p.Parameter), 0.5f));
        var ranks = new MirroredRanks(2);
        var distributed = new DistributedTrainer(replica, new CrossEntropyLoss(), new Sgd(replica.NamedParameters().Select(p => p.Parameter), 0.5f), ranks);
        trainer.TrainStep(data.Features, data.Targets);
        distributed.TrainStep(data.Features, data.Targets, 16);
        Assert.Equal(single.WeightParameter.Grad.ToArray(), replica.WeightParameter.Grad.ToArray());
        Assert.Equal(single.WeightParameter.Value.ToArray(), replica.WeightParameter.Value.ToArray());
    }

    [Fact]
    public void OptimizerBuiltBeforeConversion_IsRefused()
    {
        var model = new Sequential(new Dense(2, 2), new BatchNorm1d(2));
        var optimizer = new Sgd(model.NamedParameters().Select(p => p.Parameter), 0.1f);
        var converted = SyncBatchNorm.Convert(model, SingleProcessCommunicator.Instance);
        var e = Assert.Throws<ArgumentException>(() => new DistributedTrainer(converted, new CrossEntropyLoss(), optimizer, SingleProcessCommunicator.Instance));
        Assert.Contains("SyncBatchNorm.Convert", e.Message);
    }
}

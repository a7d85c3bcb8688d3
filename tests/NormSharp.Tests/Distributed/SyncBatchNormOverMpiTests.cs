using NormSharp.Cli.Commands;
using NormSharp.Distributed;
using NormSharp.Serialization;

namespace NormSharp.Tests.Distributed;

/// <summary>
/// Acceptance (a) and (c) of the distributed issue, over real MPI: SyncBatchNorm on 2 ranks × 250 examples
/// equals BatchNorm over the same 500 in one process; plain BN on 2 ranks does not — each rank normalises
/// with its own 250 examples' statistics, which is why SyncBatchNorm exists.
/// </summary>
public sealed class SyncBatchNormOverMpiTests : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "normsharp-syncbn-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void TwoRanks_SyncBnEqualsWholeBatchBn_PlainBnDoesNot()
    {
        var (code, output) = MpiRun.Cli(2, "distributed", "check", "--batch-size", "500", "--channels", "16", "--seed", "7", "--dump", _dir);
        Assert.True(code == 0, "distributed check failed:\n" + output);
        Assert.Contains("2 rank(s) over MPI", output);

        // The reference is computed here, in this process, from the same seeded case.
        foreach (int[] shape in new[] { new[] { 500, 16 }, new[] { 250, 16, 3, 3 } })
        {
            string kind = shape.Length == 4 ? "2d" : "1d";
            var (x, dy, gamma, beta) = DistributedCheck.MakeCase(shape, 7);
            var whole = DistributedCheck.Step(DistributedCheck.MakeLayer(shape, gamma, beta, null), shape, x, dy, SingleProcessCommunicator.Instance);
            var ranks = Enumerable.Range(0, 2).Select(r => SafetensorsFile.Read(Path.Combine(_dir, $"rank{r}-{kind}.safetensors"))).ToArray();
            Assert.Equal(["0", $"{shape[0] / 2}"], ranks.Select(f => f.Metadata["shard_start"]));
            Assert.All(ranks, f => Assert.Equal($"{shape[0] / 2}", f.Metadata["shard_count"]));

            foreach (string quantity in DistributedCheck.Quantities)
            {
                bool perRow = quantity is "y" or "dx" or "eval_y";
                // Per-row quantities: the shards in rank order are the whole batch; per-channel ones are on every rank.
                var sync = perRow ? Concat(ranks, "sync." + quantity) : ranks[0].Tensors["sync." + quantity].ToTensor().ToArray();
                double syncDiff = DistributedCheck.MaxDifference(whole[quantity], sync);
                Assert.True(syncDiff <= Tolerance, $"{kind} SyncBatchNorm {quantity} differs from whole-batch BN by {syncDiff:G3}");
                if (!perRow)
                    Assert.Equal(ranks[0].Tensors["sync." + quantity].ToTensor().ToArray(), ranks[1].Tensors["sync." + quantity].ToTensor().ToArray());
            }
            // (c): per-rank statistics give other outputs, input gradients, γ gradients and running statistics.
            foreach (string quantity in (string[])["y", "dx", "weight_grad", "running_mean", "running_var", "eval_y"])
            {
                var plain = quantity is "y" or "dx" or "eval_y" ? Concat(ranks, "plain." + quantity) : ranks[0].Tensors["plain." + quantity].ToTensor().ToArray();
                double plainDiff = DistributedCheck.MaxDifference(whole[quantity], plain);
                Assert.True(plainDiff > 1e-3, $"{kind} plain BN {quantity} should differ from whole-batch BN, but only by {plainDiff:G3}");
            }
            // Σdy does not depend on the statistics: β's gradient agrees for plain BN too.
            Assert.True(DistributedCheck.MaxDifference(whole["bias_grad"], ranks[0].Tensors["plain.bias_grad"].ToTensor().ToArray()) <= Tolerance);
        }
    }

    private static float[] Concat(SafetensorsFile[] ranks, string name) =>
        ranks.SelectMany(f => f.Tensors[name].ToTensor().ToArray()).ToArray();
}

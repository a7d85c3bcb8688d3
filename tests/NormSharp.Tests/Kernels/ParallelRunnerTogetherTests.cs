using NormSharp.Kernels;

namespace NormSharp.Tests.Kernels;

/// <summary><see cref="ParallelRunner.Together"/>: parties run at once on distinct threads and meet at the barrier;
/// where that cannot be had the body runs as one party; a failing party neither hangs the others nor is lost.</summary>
[Collection(KernelSerialCollection.Name)]
public class ParallelRunnerTogetherTests
{
    /// <summary>Each party writes its slot of a phase, waits, then reads every slot of that phase: a barrier that let
    /// a party through early would show a slot not yet written.</summary>
    private sealed class Phases(int parties, int phases)
    {
        public readonly int[,] Slots = new int[phases, parties];
        public readonly int[] ThreadIds = new int[parties];
        public readonly int[] SeenParties = new int[parties];
        public int Mismatches;
        public readonly int Count = phases;
    }

    private readonly struct PhaseBody(Phases state) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            state.ThreadIds[party] = Environment.CurrentManagedThreadId;
            state.SeenParties[party] = parties;
            for (int phase = 0; phase < state.Count; phase++)
            {
                for (int p = party; p < state.Slots.GetLength(1); p += parties) Volatile.Write(ref state.Slots[phase, p], phase + 1);
                barrier.Wait();
                for (int p = 0; p < state.Slots.GetLength(1); p++)
                    if (Volatile.Read(ref state.Slots[phase, p]) != phase + 1) Interlocked.Increment(ref state.Mismatches);
            }
        }
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(3, 2)]
    public void PartiesRunAtOnceOnTheirOwnThreadsAndMeetAtTheBarrier(int threads, int parties)
    {
        KernelSerialCollection.WithThreads(threads, () =>
        {
            for (int round = 0; round < 50; round++)
            {
                var state = new Phases(parties, 20);
                ParallelRunner.Together(parties, new PhaseBody(state));
                Assert.Equal(0, state.Mismatches);
                Assert.All(state.SeenParties, p => Assert.Equal(parties, p));
                Assert.Equal(parties, state.ThreadIds.Distinct().Count());
                Assert.Equal(Environment.CurrentManagedThreadId, state.ThreadIds[0]); // party 0 is the caller
            }
        });
    }

    [Fact]
    public void OneThreadOrMorePartiesThanThreadsRunsOneParty()
    {
        KernelSerialCollection.WithThreads(1, () =>
        {
            var state = new Phases(2, 3);
            ParallelRunner.Together(2, new PhaseBody(state));
            Assert.Equal(1, state.SeenParties[0]);
            Assert.Equal(0, state.Mismatches); // the one party wrote every slot itself
        });
        KernelSerialCollection.WithThreads(2, () =>
        {
            var state = new Phases(3, 3);
            ParallelRunner.Together(3, new PhaseBody(state));
            Assert.Equal(1, state.SeenParties[0]);
            Assert.Equal(0, state.Mismatches);
        });
    }

    private readonly struct NestedBody(Phases[] inner) : IChunkBody
    {
        public void Execute(int chunk) => ParallelRunner.Together(2, new PhaseBody(inner[chunk]));
    }

    [Fact]
    public void ACallFromInsideAChunkRunsOneParty()
    {
        KernelSerialCollection.WithThreads(2, () =>
        {
            var inner = new[] { new Phases(2, 2), new Phases(2, 2) };
            ParallelRunner.For(2, new NestedBody(inner));
            Assert.All(inner, state =>
            {
                Assert.Equal(1, state.SeenParties[0]);
                Assert.Equal(0, state.Mismatches);
            });
        });
    }

    private readonly struct FailingBody(int failingParty) : IPartyBody
    {
        public void Execute(int party, int parties, PartyBarrier barrier)
        {
            if (party == failingParty) throw new InvalidOperationException($"party {party} failed");
            barrier.Wait(); // must not wait forever for the failed party
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void AFailingPartyIsReportedAndReleasesTheOthers(int failingParty)
    {
        KernelSerialCollection.WithThreads(2, () =>
        {
            var error = Assert.Throws<AggregateException>(() => ParallelRunner.Together(2, new FailingBody(failingParty)));
            Assert.Contains(error.InnerExceptions, e => e is InvalidOperationException or OperationCanceledException);
            var state = new Phases(2, 5); // the pool still works afterwards
            ParallelRunner.Together(2, new PhaseBody(state));
            Assert.Equal(0, state.Mismatches);
            Assert.Equal(2, state.SeenParties[0]);
        });
    }
}

namespace NormSharp.Tests.Layers;

/// <summary>Measures managed allocation of a warmed-up action. The counter is process-wide, so the least of
/// a few windows is taken: a stray allocation by the test host lands in one window, not in all of them.</summary>
public static class AllocationProbe
{
    public static long LeastBytes(Action step, int warmUp = 3, int windows = 3, int stepsPerWindow = 10)
    {
        for (int i = 0; i < warmUp; i++) step();
        long least = long.MaxValue;
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < stepsPerWindow; i++) step();
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        return least;
    }
}

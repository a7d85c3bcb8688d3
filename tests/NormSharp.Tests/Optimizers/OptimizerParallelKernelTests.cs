using NormSharp.Kernels;
using NormSharp.Tests.Training;

namespace NormSharp.Tests.Optimizers;

/// <summary>The multithreaded drivers split large parameters into chunks; the result must equal the
/// single-pass kernel exactly, for 1 and 2 threads.</summary>
[Collection(SerialCollection.Name)]
public class OptimizerParallelKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public unsafe void ParallelDriversEqualTheSerialKernels(int threads)
    {
        int saved = ParallelRunner.Threads;
        ParallelRunner.Threads = threads;
        try
        {
            const int n = 3 * OptimizerKernels.ParallelGrain + 13;
            var rng = new Rng(8);
            float[] Random(float offset = 0)
            {
                var a = GC.AllocateArray<float>(n, pinned: true);
                for (int i = 0; i < n; i++) a[i] = rng.NextGaussian() + offset;
                return a;
            }
            float[] p = Random(), g = Random(), m = Random(), v = Random(2f);
            for (int i = 0; i < n; i++) v[i] = MathF.Abs(v[i]);
            float[] p2 = (float[])p.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();

            fixed (float* pp = p, gp = g, mp = m, vp = v)
            {
                OptimizerKernels.AdamParallel(pp, gp, mp, vp, n, 0.9f, 0.999f, 1e-8f, 0.01f, 1f, 0.01f, 0.1f);
                OptimizerKernels.SgdParallel(pp, gp, mp, n, 0.1f, 0.9f, 0f, 0f, true, false);
                OptimizerKernels.RmsPropParallel(pp, gp, vp, mp, null, n, 0.01f, 0.99f, 1e-8f, 0f, 0f, true);
            }
            OptimizerKernels.Adam(p2, g, m2, v2, 0.9f, 0.999f, 1e-8f, 0.01f, 1f, 0.01f, 0.1f);
            OptimizerKernels.Sgd(p2, g, m2, 0.1f, 0.9f, 0f, 0f, true, false);
            OptimizerKernels.RmsProp(p2, g, v2, m2, default, 0.01f, 0.99f, 1e-8f, 0f, 0f, true);
            Assert.True(p.AsSpan().SequenceEqual(p2), "parameters differ");
            Assert.True(m.AsSpan().SequenceEqual(m2), "first buffer differs");
            Assert.True(v.AsSpan().SequenceEqual(v2), "second buffer differs");
        }
        finally
        {
            ParallelRunner.Threads = saved;
        }
    }
}

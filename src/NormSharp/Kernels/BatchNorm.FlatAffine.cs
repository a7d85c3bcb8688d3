using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

/// <summary>The row parties' applies (BatchNorm.FusedRowParties.cs) as one stream of whole rows in 64-byte aligned vectors.</summary>
/// <remarks>
/// <para>A row of [500, 500] is 2000 bytes, so three rows in four start inside a cache line, and <see cref="RowAffine"/>'s loads
/// and stores straddle two lines. On the Intel Xeon (2 MB L2) a split load costs about as much as a second load: a party's
/// apply of its 250 rows (0.5 MB in, 0.5 MB out, all in L2) took 12.2 µs row by row and 9.7 µs as aligned vectors (a probe:
/// aligned stores with every load split took 14.4 µs, aligned loads with every store split 11.0).</para>
/// <para>The rows of a party are contiguous, so the apply walks the output in aligned vectors. Output vector k holds the
/// columns (16k + l − m) mod C, m the output's misalignment in floats: its coefficients are vector k mod (P / 16) of a table
/// of period P = lcm(C, 16) built per call (<see cref="FillPeriod"/>), aligned too. Each input is loaded in aligned vectors
/// and shifted onto the output's lanes by one two-source permute (vpermt2ps) of two consecutive ones, which cost nothing
/// measurable beside the loads it saves (9.7 µs either way). The arithmetic per element is <see cref="RowAffine"/>'s fused
/// multiply-adds, so the results are the same bits.</para>
/// </remarks>
public static unsafe partial class BatchNorm
{
    /// <summary>The longest coefficient period the flat apply builds tables for: three tables of 8 KB stay in L1 beside the
    /// streams (an odd C above 128 has P = 16·C, and applies row by row).</summary>
    private const int MaxFlatPeriod = 2048;

    /// <summary>Each thread's coefficient tables (a party runs on its own thread): allocated once, so a steady-state step
    /// allocates nothing.</summary>
    [ThreadStatic] private static AlignedFloats? t_flatTables;

    /// <summary>P = lcm(C, 16): the coefficient pattern of a stream of whole rows repeats every P floats.</summary>
    private static int FlatPeriod(int channels)
    {
        int g = channels, h = Vector512<float>.Count;
        while (h != 0) (g, h) = (h, g % h);
        return channels / g * Vector512<float>.Count;
    }

    /// <summary>Whether rows of <paramref name="channels"/> floats apply as one aligned stream (<see cref="FlatAffine"/>).</summary>
    internal static bool FlatAffineApplies(int channels) => Vector512.IsHardwareAccelerated && FlatPeriod(channels) <= MaxFlatPeriod;

    /// <summary>out[e] = activation(u[e]·a[c] + shift[c]), or, when v is given, v[e]·b[c] + (u[e]·a[c] + shift[c]) without
    /// an activation, for e &lt; rows·C, c = e mod C: <see cref="RowAffine"/> over whole rows, in aligned vectors
    /// (<see cref="FlatAffineApplies"/> must hold).</summary>
    private static void FlatAffine<TAct>(float* u, float* v, float* output, int rows, int channels, float* a, float* b, float* shift,
        TAct activation) where TAct : struct, VectorBlock.IMap
    {
        long count = (long)rows * channels;
        if (count == 0) return;
        int period = FlatPeriod(channels), m = Misalignment(output);
        var tables = t_flatTables ??= new AlignedFloats(3 * MaxFlatPeriod);
        float* ta = tables.Pointer, ts = ta + MaxFlatPeriod, tb = ts + MaxFlatPeriod;
        FillPeriod(ta, a, channels, m, period);
        FillPeriod(ts, shift, channels, m, period);
        if (v != null) FillPeriod(tb, b, channels, m, period);

        float* o = output - m; // aligned: output vector k is o[16k, 16k + 16)
        long total = m + count, vectors = (total + 15) / 16;
        var su = new ShiftedInput(u, m, count);
        var sv = v != null ? new ShiftedInput(v, m, count) : default;
        // Unguarded: the whole output vectors but the last, whose two input vectors hold elements of the inputs.
        long first = m == 0 ? 0 : 1, end = Math.Max(first, total / 16 - 1);
        if (first == 1) GuardedVector(o, 0, m, count, period, su, sv, v != null, ta, ts, tb, activation);
        if (v == null) FlatStream(o, first, end, period, su.Base, su.Index, ta, ts, activation);
        else FlatStream2(o, first, end, period, su.Base, su.Index, sv.Base, sv.Index, ta, ts, tb);
        for (long k = end; k < vectors; k++) GuardedVector(o, k, m, count, period, su, sv, v != null, ta, ts, tb, activation);
    }

    /// <summary>Tests: <see cref="FlatAffine"/> (flat) or <see cref="RowAffine"/> over whole rows, with the same arguments
    /// (the activation only where v is null).</summary>
    internal static void ApplyWholeRowsForTests(float* u, float* v, float* output, int rows, int channels, float* a, float* b,
        float* shift, FusedActivation activation, bool flat)
    {
        if (activation == FusedActivation.Relu) Apply(new Activations.ReluOp());
        else if (activation == FusedActivation.Sigmoid) Apply(new Activations.SigmoidOp());
        else Apply(default(NoActivation));

        void Apply<TAct>(TAct op) where TAct : struct, VectorBlock.IMap, VectorBlock.IMap256
        {
            if (flat) FlatAffine(u, v, output, rows, channels, a, b, shift, op);
            else RowAffine(u, v, output, rows, channels, 0, channels, a, b, shift, op);
        }
    }

    /// <summary>Output vectors [first, end) of the forward apply: o = activation(u·a + shift).</summary>
    private static void FlatStream<TAct>(float* o, long first, long end, int period, float* u, Vector512<int> index, float* ta, float* ts,
        TAct activation) where TAct : struct, VectorBlock.IMap
    {
        int t = (int)(first * 16 % period);
        Vector512<float> previous = Vector512.LoadAligned(u + first * 16);
        for (long at = first * 16, stop = end * 16; at < stop; at += 16)
        {
            Vector512<float> next = Vector512.LoadAligned(u + at + 16), x = Avx512F.PermuteVar16x32x2(previous, index, next);
            previous = next;
            activation.Invoke(Vector512.FusedMultiplyAdd(x, Vector512.LoadAligned(ta + t), Vector512.LoadAligned(ts + t))).StoreAligned(o + at);
            t += 16;
            if (t == period) t = 0;
        }
    }

    /// <summary>Output vectors [first, end) of the backward apply: o = v·b + (u·a + shift).</summary>
    private static void FlatStream2(float* o, long first, long end, int period, float* u, Vector512<int> uIndex, float* v, Vector512<int> vIndex,
        float* ta, float* ts, float* tb)
    {
        int t = (int)(first * 16 % period);
        Vector512<float> pu = Vector512.LoadAligned(u + first * 16), pv = Vector512.LoadAligned(v + first * 16);
        for (long at = first * 16, stop = end * 16; at < stop; at += 16)
        {
            Vector512<float> nu = Vector512.LoadAligned(u + at + 16), xu = Avx512F.PermuteVar16x32x2(pu, uIndex, nu);
            Vector512<float> nv = Vector512.LoadAligned(v + at + 16), xv = Avx512F.PermuteVar16x32x2(pv, vIndex, nv);
            pu = nu;
            pv = nv;
            var y = Vector512.FusedMultiplyAdd(xu, Vector512.LoadAligned(ta + t), Vector512.LoadAligned(ts + t));
            Vector512.FusedMultiplyAdd(xv, Vector512.LoadAligned(tb + t), y).StoreAligned(o + at);
            t += 16;
            if (t == period) t = 0;
        }
    }

    /// <summary>Output vector k at the ends of the stream: masked loads of the input lanes that hold elements, a masked store
    /// of the output lanes that do.</summary>
    private static void GuardedVector<TAct>(float* o, long k, int m, long count, int period, in ShiftedInput su, in ShiftedInput sv, bool two,
        float* ta, float* ts, float* tb, TAct activation) where TAct : struct, VectorBlock.IMap
    {
        long at = 16 * k;
        int t = (int)(at % period);
        var y = Vector512.FusedMultiplyAdd(su.Load(k), Vector512.LoadAligned(ta + t), Vector512.LoadAligned(ts + t));
        y = two ? Vector512.FusedMultiplyAdd(sv.Load(k), Vector512.LoadAligned(tb + t), y) : activation.Invoke(y);
        Avx512F.MaskStore(o + at, ValidLanes(at - m, count), y);
    }

    /// <summary>Floats from the last 64-byte boundary at or below p.</summary>
    private static int Misalignment(float* p) => (int)(((nuint)p & 63) / sizeof(float));

    /// <summary>Lanes l with 0 ≤ first + l &lt; count, as a float mask.</summary>
    private static Vector512<float> ValidLanes(long first, long count)
    {
        int from = (int)Math.Clamp(-first, 0, 16), to = (int)Math.Clamp(count - first, 0, 16);
        var lanes = Vector512<int>.Indices;
        return (Vector512.GreaterThanOrEqual(lanes, Vector512.Create(from)) & Vector512.LessThan(lanes, Vector512.Create(to))).AsSingle();
    }

    /// <summary>table[j] = coefficients[(j − m) mod C] for j &lt; period: the coefficient of each lane of a stream of whole
    /// rows whose first element sits m floats past an aligned address, copied in runs of whole rows.</summary>
    private static void FillPeriod(float* table, float* coefficients, int channels, int m, int period)
    {
        int c = ((-m % channels) + channels) % channels;
        for (int j = 0; j < period; c = 0)
        {
            int run = Math.Min(channels - c, period - j);
            new ReadOnlySpan<float>(coefficients + c, run).CopyTo(new Span<float>(table + j, run));
            j += run;
        }
    }

    /// <summary>An input of the flat apply, read in aligned vectors: output vector k's lanes are lanes [s, s + 16) of the
    /// pair of vectors at Base + 16k, Base + 16k + 16 (s = its misalignment minus the output's, mod 16).</summary>
    private readonly struct ShiftedInput
    {
        public readonly float* Base;
        public readonly Vector512<int> Index;
        private readonly float* _start;
        private readonly long _count;

        public ShiftedInput(float* p, int outputMisalignment, long count)
        {
            int d = Misalignment(p), s = d - outputMisalignment, q = s < 0 ? -1 : 0;
            Base = p - d + 16 * q;
            Index = Vector512<int>.Indices + Vector512.Create(s - 16 * q);
            _start = p;
            _count = count;
        }

        /// <summary>Output vector k's lanes, loading only the lanes of the two vectors that hold elements (never faults).</summary>
        public Vector512<float> Load(long k)
        {
            float* lo = Base + 16 * k, hi = lo + 16;
            var a = Avx512F.MaskLoad(lo, ValidLanes(lo - _start, _count), Vector512<float>.Zero);
            var b = Avx512F.MaskLoad(hi, ValidLanes(hi - _start, _count), Vector512<float>.Zero);
            return Avx512F.PermuteVar16x32x2(a, Index, b);
        }
    }
}

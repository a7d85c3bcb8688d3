using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace NormSharp.Kernels;

public static unsafe partial class BatchNorm
{
    /// <summary>
    /// y = x·alpha[c] + beta[c] for every element of channel c of <paramref name="x"/> ([n, channels, spatial]).
    /// With alpha = γ·invstd and beta = β − mean·alpha this is the whole BN forward in one pass
    /// (ATen's folding); with beta = 0 it is the eval-mode input gradient. <paramref name="y"/> may alias <paramref name="x"/>.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> x, int n, int channels, int spatial,
        ReadOnlySpan<float> alpha, ReadOnlySpan<float> beta, Span<float> y)
    {
        CheckShape(x.Length, n, channels, spatial, nameof(x));
        CheckShape(y.Length, n, channels, spatial, nameof(y));
        CheckChannels(alpha.Length, channels, nameof(alpha));
        CheckChannels(beta.Length, channels, nameof(beta));
        fixed (float* px = x) fixed (float* py = y) fixed (float* pa = alpha) fixed (float* pb = beta)
        {
            var body = new AffineBody(px, null, py, pa, pb, null, n, channels, spatial);
            ParallelRunner.For(body.ChunkCount, body);
        }
    }

    /// <summary>
    /// dx = dy·a[c] + x·b[c] + k[c]: BN's input gradient once its per-channel coefficients are folded
    /// (see <see cref="BackwardReduce"/>). <paramref name="dx"/> may alias <paramref name="dy"/>.
    /// </summary>
    public static void BackwardApply(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int spatial,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> k, Span<float> dx)
    {
        CheckShape(x.Length, n, channels, spatial, nameof(x));
        CheckShape(dy.Length, n, channels, spatial, nameof(dy));
        CheckShape(dx.Length, n, channels, spatial, nameof(dx));
        CheckChannels(a.Length, channels, nameof(a));
        CheckChannels(b.Length, channels, nameof(b));
        CheckChannels(k.Length, channels, nameof(k));
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pdx = dx)
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pk = k)
        {
            var body = new AffineBody(pdy, px, pdx, pa, pk, pb, n, channels, spatial);
            ParallelRunner.For(body.ChunkCount, body);
        }
    }

    /// <summary>out = u·a[c] + shift[c] (+ v·b[c] when v is given), over runs of rows or planes.</summary>
    private readonly struct AffineBody : IChunkBody
    {
        private readonly float* _u, _v, _out, _a, _shift, _b;
        private readonly int _n, _channels, _spatial, _units, _perChunk;

        public AffineBody(float* u, float* v, float* output, float* a, float* shift, float* b, int n, int channels, int spatial)
        {
            _u = u; _v = v; _out = output; _a = a; _shift = shift; _b = b;
            _n = n; _channels = channels; _spatial = spatial;
            // Units: rows of C values ([N, C]) or (sample, channel) planes of S values.
            _units = spatial == 1 ? n : n * channels;
            int chunks = ChunkCount = ElementwiseChunks(_units, spatial == 1 ? channels : spatial);
            _perChunk = chunks == 0 ? 0 : (_units + chunks - 1) / chunks;
        }

        public int ChunkCount { get; }

        public void Execute(int chunk)
        {
            int u0 = chunk * _perChunk, u1 = Math.Min(_units, u0 + _perChunk);
            if (_spatial == 1)
            {
                var a = new ReadOnlySpan<float>(_a, _channels);
                var shift = new ReadOnlySpan<float>(_shift, _channels);
                var b = new ReadOnlySpan<float>(_b, _channels);
                for (int r = u0; r < u1; r++)
                {
                    long offset = (long)r * _channels;
                    var output = new Span<float>(_out + offset, _channels);
                    // Scalar math: out[c] = u[c]·a[c] + shift[c] (+ v[c]·b[c]).
                    TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(_u + offset, _channels), a, shift, output);
                    if (_v != null)
                        TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(_v + offset, _channels), b, output, output);
                }
            }
            else
            {
                for (int unit = u0; unit < u1; unit++)
                {
                    int c = unit % _channels;
                    long offset = (long)unit * _spatial;
                    if (_v == null) PlaneAffine(_u + offset, _out + offset, _spatial, _a[c], _shift[c]);
                    else PlaneAffine2(_u + offset, _v + offset, _out + offset, _spatial, _a[c], _b[c], _shift[c]);
                }
            }
        }
    }

    /// <summary>out = u·a + shift over one plane.</summary>
    private static void PlaneAffine(float* u, float* output, int length, float a, float shift)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var av = Vector512.Create(a);
            var sv = Vector512.Create(shift);
            i = VectorBlock.Stream(ref *u, ref *output, length, new AffineMap(av, sv)); // a block of lookahead (VectorBlock)
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(Vector512.Load(u + i), av, sv).Store(output + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var av = Vector256.Create(a);
            var sv = Vector256.Create(shift);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.FusedMultiplyAdd(Vector256.Load(u + i), av, sv).Store(output + i);
        }
        for (; i < length; i++) output[i] = MathF.FusedMultiplyAdd(u[i], a, shift);
    }

    /// <summary>out = u·a + v·b + shift over one plane.</summary>
    private static void PlaneAffine2(float* u, float* v, float* output, int length, float a, float b, float shift)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var av = Vector512.Create(a);
            var bv = Vector512.Create(b);
            var sv = Vector512.Create(shift);
            i = VectorBlock.Stream(ref *u, ref *v, ref *output, length, new AffineZip(av, bv, sv));
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(Vector512.Load(v + i), bv, Vector512.FusedMultiplyAdd(Vector512.Load(u + i), av, sv)).Store(output + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var av = Vector256.Create(a);
            var bv = Vector256.Create(b);
            var sv = Vector256.Create(shift);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.FusedMultiplyAdd(Vector256.Load(v + i), bv, Vector256.FusedMultiplyAdd(Vector256.Load(u + i), av, sv)).Store(output + i);
        }
        for (; i < length; i++) output[i] = MathF.FusedMultiplyAdd(v[i], b, MathF.FusedMultiplyAdd(u[i], a, shift));
    }

    /// <summary>u·a + shift, as the plane loops compute it.</summary>
    private readonly struct AffineMap(Vector512<float> a, Vector512<float> shift) : VectorBlock.IMap
    {
        public Vector512<float> Invoke(Vector512<float> u) => Vector512.FusedMultiplyAdd(u, a, shift);
    }

    /// <summary>v·b + (u·a + shift), as the plane loops compute it.</summary>
    private readonly struct AffineZip(Vector512<float> a, Vector512<float> b, Vector512<float> shift) : VectorBlock.IZip
    {
        public Vector512<float> Invoke(Vector512<float> u, Vector512<float> v) => Vector512.FusedMultiplyAdd(v, b, Vector512.FusedMultiplyAdd(u, a, shift));
    }
}

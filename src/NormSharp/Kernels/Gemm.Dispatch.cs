using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>The register-blocked micro-kernels, widest first.</summary>
    internal enum MicroKernel
    {
        /// <summary>Portable 4×4 tile in scalar code.</summary>
        Scalar,
        /// <summary>6×16 tile, 12 <see cref="Vector256{T}"/> accumulators, AVX2 + FMA3.</summary>
        Avx2,
        /// <summary>12×32 tile, 24 <see cref="Vector512{T}"/> accumulators, AVX-512F.</summary>
        Avx512,
    }

    /// <summary>The fastest micro-kernel this machine runs, chosen once.</summary>
    internal static MicroKernel Kernel { get; } = IsSupported(MicroKernel.Avx512) ? MicroKernel.Avx512
        : IsSupported(MicroKernel.Avx2) ? MicroKernel.Avx2 : MicroKernel.Scalar;

    /// <summary>Whether <paramref name="kernel"/> runs on this machine (tests exercise every one that does).</summary>
    internal static bool IsSupported(MicroKernel kernel) => kernel switch
    {
        MicroKernel.Avx512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        MicroKernel.Avx2 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>The span overload with an explicit micro-kernel, so tests can hold every kernel this machine
    /// supports against <see cref="GemmReference"/> without changing global state.</summary>
    internal static void Sgemm(MicroKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias = default, GemmActivation activation = GemmActivation.None)
    {
        if (!IsSupported(kernel)) throw new PlatformNotSupportedException($"GEMM micro-kernel {kernel} is not supported here");
        CheckSizes(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        bool readsAB = k > 0 && alpha != 0;
        if (readsAB)
        {
            CheckLength(a.Length, transA ? k : m, transA ? m : k, lda, nameof(a));
            CheckLength(b.Length, transB ? n : k, transB ? k : n, ldb, nameof(b));
        }
        CheckLength(c.Length, m, n, ldc, nameof(c));
        CheckEpilogue(bias.Length, n, activation);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
            Run(kernel, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, bias.IsEmpty ? null : pbias, activation == GemmActivation.Relu);
    }

    private static void Run(MicroKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, float* bias = null, bool relu = false,
        GemmPackedB? packedB = null)
    {
        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            ApplyEpilogue(m, n, c, ldc, bias, relu);
            return;
        }
        var problem = new Problem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu,
            packedB is null ? null : packedB.Data, packedB?.Panels ?? 0);
        switch (kernel)
        {
            case MicroKernel.Avx512: RunParallel<Avx512Kernel>(problem); break;
            case MicroKernel.Avx2: RunParallel<Avx2Kernel>(problem); break;
            default: RunParallel<ScalarKernel>(problem); break;
        }
    }

    /// <summary>
    /// A register-blocked micro-kernel: computes one Mr×Nr tile
    /// c[i,j] = act(α·Σ_p a[i·rs + p·ss]·b[p·Nr + j] + β·c[i,j] + bias[j]) from an A panel (packed: rs = 1, ss = Mr;
    /// or rows of A read in place: rs = lda, ss = 1) and a packed B panel,
    /// with bias null for none (Nr values, or the tile's width for <see cref="NarrowTile"/>) and act ReLU or the identity.
    /// β = 0 must not read c. Full tiles only: the driver routes edge tiles through a scratch tile.
    /// <see cref="NarrowTile"/> does the same for an Mr×width tile, width one of the narrower <see cref="PanelWidth"/>s
    /// (the last panel of a block of B), element for element with the same operations as <see cref="Tile"/>.
    /// </summary>
    internal interface IMicroKernel
    {
        static abstract int Mr { get; }
        static abstract int Nr { get; }
        /// <summary>Width of the panel holding the last <paramref name="cols"/> (1 … Nr) columns of a block of B: Nr, or the
        /// narrowest tile of this kernel that covers them.</summary>
        static abstract int PanelWidth(int cols);
        static abstract void Tile(int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu);
        static abstract void NarrowTile(int width, int kc, float* a, nint rs, nint ss, float* b, float* c, nint ldc, float alpha, float beta, float* bias, bool relu);
    }
}

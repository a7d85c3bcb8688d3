namespace NormSharp.Kernels;

/// <summary>
/// op(B) of a product packed once into the micro-kernel's panels (the layout <see cref="Gemm"/> builds per call,
/// Gemm.Packing.cs), for products that reuse the same B many times: a layer's weights at inference, as MLAS prepacks
/// the constant B of an ONNX Gemm when ONNX Runtime creates a session. Made by <see cref="Gemm.PackB(bool, int, int, ReadOnlySpan{float}, int)"/> and used by the
/// <see cref="Gemm.Sgemm(bool, int, int, int, float, ReadOnlySpan{float}, int, GemmPackedB, float, Span{float}, int, ReadOnlySpan{float}, GemmActivation)"/>
/// overload; a product through it gives the bits of the same product with B unpacked.
/// </summary>
/// <remarks>Layout: for each K block of the product (the blocks depend on k alone), the ⌈n/NR⌉ panels of NR columns
/// one after the other, kc·NR floats each (the last one the kernel's panel width for its columns, zero-padded), in 64-byte aligned
/// native memory (<see cref="AlignedFloats"/>) freed by <see cref="Dispose"/> or its finalizer. A snapshot: later changes to B are not seen.</remarks>
public sealed unsafe class GemmPackedB : IDisposable
{
    private readonly AlignedFloats _data;

    internal GemmPackedB(Gemm.MicroKernel kernel, int k, int n, int panels, int nr)
    {
        Kernel = kernel;
        K = k;
        N = n;
        Panels = panels;
        _data = new AlignedFloats((long)panels * nr * k);
    }

    /// <summary>Rows of op(B) (the product's k).</summary>
    public int K { get; }

    /// <summary>Columns of op(B) (the product's n).</summary>
    public int N { get; }

    /// <summary>The micro-kernel whose panel shape the data has; products through it use that kernel.</summary>
    internal Gemm.MicroKernel Kernel { get; }

    /// <summary>NR-wide panels per K block.</summary>
    internal int Panels { get; }

    internal float* Data => _data.Pointer;

    public void Dispose() => _data.Dispose();
}

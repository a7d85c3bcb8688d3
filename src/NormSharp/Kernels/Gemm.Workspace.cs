using System.Runtime.InteropServices;

namespace NormSharp.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// One thread's packing buffers: an MC×KC block of A, a KC×NC block of B and one scratch tile for the
    /// edges of C. Allocated on the thread's first GEMM, 64-byte aligned (a cache line, and one
    /// <c>Vector512</c>) so packed panels load aligned; freed by the finalizer when the thread is gone.
    /// </summary>
    private sealed class Workspace
    {
        [ThreadStatic] private static Workspace? t_current;

        /// <summary>Packed A block: MC/MR panels of MR×KC floats.</summary>
        public readonly float* PackedA;

        /// <summary>Packed B block: NC/NR panels of KC×NR floats.</summary>
        public readonly float* PackedB;

        /// <summary>Scratch tile (MR×NR of the widest kernel) for edge tiles of C.</summary>
        public readonly float* Tile;

        private Workspace()
        {
            PackedA = Allocate(BlockABytes / sizeof(float));
            PackedB = Allocate(BlockBBytes / sizeof(float));
            Tile = Allocate(MaxTile);
        }

        ~Workspace()
        {
            NativeMemory.AlignedFree(PackedA);
            NativeMemory.AlignedFree(PackedB);
            NativeMemory.AlignedFree(Tile);
        }

        /// <summary>The calling thread's workspace (created on first use).</summary>
        public static Workspace ForCurrentThread => t_current ??= new Workspace();

        private static float* Allocate(int floats) => (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
    }
}

using System.Runtime.InteropServices;

namespace NormSharp.Distributed;

/// <summary>
/// The MPI C library of the machine, bound at run time: <see cref="NativeLibrary"/> loads it and looks up
/// each function and Open MPI's predefined handles, so nothing native is needed to build NormSharp.
/// </summary>
/// <remarks>
/// <para>Open MPI defines <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c> … as addresses of exported
/// objects (<c>#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)</c> in its
/// <c>mpi.h</c>), so <see cref="NativeLibrary.GetExport"/> of <c>ompi_mpi_comm_world</c> is the handle
/// itself; <c>MPI_IN_PLACE</c> is <c>(void*)1</c>. MPICH encodes handles as integers instead: it is
/// detected (no <c>ompi_*</c> symbols) and refused with a clear message rather than mis-called.</para>
/// <para>Search order: <c>NORMSHARP_MPI_LIBRARY</c> (a path or a name), then <c>libmpi.so.40</c> (Open MPI
/// 3–5, Debian's <c>libopenmpi3</c>), <c>libmpi.so</c>, <c>libmpi.dylib</c>.</para>
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    public const string LibraryVariable = "NORMSHARP_MPI_LIBRARY";
    private static readonly string[] s_candidates = ["libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib"];
    private static readonly Lazy<MpiLibrary> s_instance = new(() => new MpiLibrary(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static readonly nint InPlace = 1;

    private MpiLibrary()
    {
        (Handle, Path) = Open();
        Init = (delegate* unmanaged<int*, nint*, int>)Function("MPI_Init");
        Initialized = (delegate* unmanaged<int*, int>)Function("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Function("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Function("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Function("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Function("MPI_Comm_size");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Function("MPI_Allreduce");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Function("MPI_Allgather");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Function("MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Function("MPI_Barrier");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Function("MPI_Error_string");
        if (!NativeLibrary.TryGetExport(Handle, "ompi_mpi_comm_world", out nint world))
            throw new MpiException($"{Path} is not Open MPI (it exports no ompi_mpi_comm_world; MPICH-style integer handles are not supported). " +
                                   $"Install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or point {LibraryVariable} at its libmpi.");
        CommWorld = world;
        Float = Predefined("ompi_mpi_float");
        Double = Predefined("ompi_mpi_double");
        Sum = Predefined("ompi_mpi_op_sum");
    }

    /// <summary>The process-wide binding; the first call loads the library.</summary>
    /// <exception cref="MpiException">No MPI library was found, or it lacks a needed symbol.</exception>
    public static MpiLibrary Instance
    {
        get
        {
            try { return s_instance.Value; }
            catch (MpiException e) { throw new MpiException(e.Message, e); } // Lazy caches the first failure: rethrow it fresh
        }
    }

    public nint Handle { get; }
    public string Path { get; }
    public nint CommWorld { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Sum { get; }

    public readonly delegate* unmanaged<int*, nint*, int> Init;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;

    /// <summary>Throws with MPI's error text when <paramref name="code"/> is not MPI_SUCCESS (0).</summary>
    public void Check(int code, string call)
    {
        if (code == 0) return;
        byte* text = stackalloc byte[512]; // MPI_MAX_ERROR_STRING is 256 in Open MPI
        int length = 0;
        string message = ErrorString(code, text, &length) == 0 ? System.Text.Encoding.UTF8.GetString(text, Math.Clamp(length, 0, 512)) : "unknown error";
        throw new MpiException($"{call} failed with MPI error {code}: {message}");
    }

    private static (nint Handle, string Path) Open()
    {
        var tried = new List<string>();
        string? configured = Environment.GetEnvironmentVariable(LibraryVariable);
        IEnumerable<string> names = string.IsNullOrWhiteSpace(configured) ? s_candidates : [configured];
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out nint handle)) return (handle, name);
            tried.Add(name);
        }
        string hint = string.IsNullOrWhiteSpace(configured)
            ? $"Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; or scripts/install-test-deps.sh), or set {LibraryVariable} to the path of libmpi"
            : $"{LibraryVariable} is set to '{configured}', which could not be loaded";
        throw new MpiException($"no MPI library found (tried {string.Join(", ", tried)}). {hint}.");
    }

    private nint Function(string name) =>
        NativeLibrary.TryGetExport(Handle, name, out nint address)
            ? address
            : throw new MpiException($"the MPI library {Path} does not export {name}");

    private nint Predefined(string name) => Function(name);
}

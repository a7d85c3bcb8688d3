namespace NormSharp.Distributed;

/// <summary>
/// MPI_COMM_WORLD of the machine's MPI library (<see cref="MpiLibrary"/>): initialises MPI on first use
/// and finalises it on <see cref="Dispose"/>. Calls must come from one thread (MPI_THREAD_SINGLE).
/// </summary>
/// <remarks>Started by <c>mpirun -np N dotnet app.dll</c>, each process is one rank; started without
/// <c>mpirun</c>, Open MPI makes a singleton world of size 1.</remarks>
public sealed unsafe class MpiCommunicator : ICommunicator, IDisposable
{
    // MPI's counts are C ints: longer buffers go in pieces.
    private const int MaxCount = 1 << 28;
    private static MpiCommunicator? s_world;
    private static readonly Lock s_lock = new();
    private readonly MpiLibrary _mpi;
    private bool _disposed;

    private MpiCommunicator(MpiLibrary mpi)
    {
        _mpi = mpi;
        int initialized = 0;
        mpi.Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) mpi.Check(mpi.Init(null, null), "MPI_Init");
        int rank = 0, size = 0;
        mpi.Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <summary>The world communicator (initialising MPI on the first call).</summary>
    /// <exception cref="MpiException">No usable MPI library, or MPI_Init failed.</exception>
    public static MpiCommunicator World
    {
        get
        {
            lock (s_lock)
            {
                if (s_world is { _disposed: false } world) return world;
                if (s_world is not null) throw new MpiException("MPI was finalised in this process; it cannot be initialised again (MPI forbids it)");
                return s_world = new MpiCommunicator(MpiLibrary.Instance);
            }
        }
    }

    /// <summary>True when this process was started by Open MPI's <c>mpirun</c>/<c>mpiexec</c> (its launcher sets
    /// <c>OMPI_COMM_WORLD_SIZE</c>).</summary>
    public static bool LaunchedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>The path or name the MPI library was loaded from.</summary>
    public string LibraryPath => _mpi.Path;

    public int Rank { get; }

    public int Size { get; }

    public void AllreduceSum(Span<float> values)
    {
        CheckOpen();
        fixed (float* p = values)
            for (int start = 0; start < values.Length; start += MaxCount)
                _mpi.Check(_mpi.Allreduce((void*)MpiLibrary.InPlace, p + start, Math.Min(MaxCount, values.Length - start), _mpi.Float, _mpi.Sum, _mpi.CommWorld), "MPI_Allreduce(float)");
    }

    public void AllreduceSum(Span<double> values)
    {
        CheckOpen();
        fixed (double* p = values)
            for (int start = 0; start < values.Length; start += MaxCount)
                _mpi.Check(_mpi.Allreduce((void*)MpiLibrary.InPlace, p + start, Math.Min(MaxCount, values.Length - start), _mpi.Double, _mpi.Sum, _mpi.CommWorld), "MPI_Allreduce(double)");
    }

    public void AllGather(ReadOnlySpan<double> send, Span<double> receive)
    {
        CheckOpen();
        if (receive.Length != (long)send.Length * Size)
            throw new ArgumentException($"receive holds {receive.Length} values, expected {Size} ranks × {send.Length}", nameof(receive));
        if (send.Length > MaxCount) throw new ArgumentOutOfRangeException(nameof(send), send.Length, $"at most {MaxCount} values per rank");
        fixed (double* s = send)
        fixed (double* r = receive)
            _mpi.Check(_mpi.Allgather(s, send.Length, _mpi.Double, r, send.Length, _mpi.Double, _mpi.CommWorld), "MPI_Allgather");
    }

    public void Broadcast(Span<float> values, int root = 0)
    {
        CheckOpen();
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {Size})");
        fixed (float* p = values)
            for (int start = 0; start < values.Length; start += MaxCount)
                _mpi.Check(_mpi.Bcast(p + start, Math.Min(MaxCount, values.Length - start), _mpi.Float, root, _mpi.CommWorld), "MPI_Bcast");
    }

    public void Barrier()
    {
        CheckOpen();
        _mpi.Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier");
    }

    /// <summary>Calls MPI_Finalize (every rank must); the world cannot be used afterwards.</summary>
    public void Dispose()
    {
        lock (s_lock)
        {
            if (_disposed) return;
            _disposed = true;
            int finalized = 0;
            _mpi.Check(_mpi.Finalized(&finalized), "MPI_Finalized");
            if (finalized == 0) _mpi.Check(_mpi.Finalize(), "MPI_Finalize");
        }
    }

    private void CheckOpen() => ObjectDisposedException.ThrowIf(_disposed, this);
}

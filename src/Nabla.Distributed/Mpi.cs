using System.Runtime.InteropServices;

namespace Nabla;

/// <summary>
/// The few calls of the MPI C API that Nabla uses, bound to Open MPI's <c>libmpi.so.40</c> at run time through
/// <see cref="NativeLibrary"/> and unmanaged function pointers (no marshalling: buffers are passed as pointers).
/// </summary>
/// <remarks>
/// Open MPI's handles (<c>MPI_COMM_WORLD</c>, <c>MPI_DOUBLE</c>, <c>MPI_SUM</c>) are macros for the addresses of
/// exported globals (<c>&amp;ompi_mpi_comm_world</c>...), so they are read with <see cref="NativeLibrary.GetExport"/>.
/// Every call is made under <see cref="Gate"/> (the library is initialised with <c>MPI_THREAD_SERIALIZED</c>).
/// </remarks>
internal static unsafe class Mpi
{
    public const int Success = 0;
    public const int ThreadSerialized = 2;
    public static readonly nint InPlace = 1;

    public static readonly Lock Gate = new();

    public static delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public static delegate* unmanaged<int> Finalize;
    public static delegate* unmanaged<int*, int> Finalized;
    public static delegate* unmanaged<nint, int*, int> CommRank;
    public static delegate* unmanaged<nint, int*, int> CommSize;
    public static delegate* unmanaged<nint, void*, int, nint, nint, nint, nint*, int> Iallreduce;
    public static delegate* unmanaged<void*, int, nint, int, nint, nint*, int> Ibcast;
    public static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int> Iallgather;
    public static delegate* unmanaged<nint, nint*, int> Ibarrier;
    public static delegate* unmanaged<nint*, int*, void*, int> Test;
    public static delegate* unmanaged<nint, int, int> Abort;

    public static nint CommWorld, Float, Double, Int64, OpSum, OpMax, OpMin;

    /// <summary>The library names tried in turn (Debian's <c>libopenmpi3</c> ships <c>libmpi.so.40</c>).</summary>
    private static readonly string[] LibraryNames = ["libmpi.so.40", "libmpi.so", "libmpi"];

    /// <summary>Loads <c>libmpi</c> and resolves the functions and handles.</summary>
    /// <exception cref="DistributedException">The library is missing or is not Open MPI.</exception>
    public static void Load()
    {
        nint lib = 0;
        string? chosen = Environment.GetEnvironmentVariable("NABLA_MPI_LIBRARY"); // another MPI install, by path
        foreach (var name in chosen is { Length: > 0 } ? [chosen] : LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out lib))
            {
                break;
            }
        }

        if (lib == 0)
        {
            throw new DistributedException(
                $"libmpi (Open MPI) was not found ({(chosen is { Length: > 0 } ? chosen : string.Join(", ", LibraryNames))}): install it with `apt-get install openmpi-bin` (Debian/Ubuntu) or your system's Open MPI package");
        }

        nint F(string symbol) => NativeLibrary.TryGetExport(lib, symbol, out var p) ? p
            : throw new DistributedException($"libmpi has no symbol {symbol}: Nabla.Distributed needs Open MPI 4 or later (`apt-get install openmpi-bin`)");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)F("MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        Finalized = (delegate* unmanaged<int*, int>)F("MPI_Finalized");
        CommRank = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_size");
        Iallreduce = (delegate* unmanaged<nint, void*, int, nint, nint, nint, nint*, int>)F("MPI_Iallreduce");
        Ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)F("MPI_Ibcast");
        Iallgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int>)F("MPI_Iallgather");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)F("MPI_Ibarrier");
        Test = (delegate* unmanaged<nint*, int*, void*, int>)F("MPI_Test");
        Abort = (delegate* unmanaged<nint, int, int>)F("MPI_Abort");
        CommWorld = F("ompi_mpi_comm_world");
        Float = F("ompi_mpi_float");
        Double = F("ompi_mpi_double");
        Int64 = F("ompi_mpi_int64_t");
        OpSum = F("ompi_mpi_op_sum");
        OpMax = F("ompi_mpi_op_max");
        OpMin = F("ompi_mpi_op_min");
    }

    /// <summary>Throws when an MPI call did not return <c>MPI_SUCCESS</c>.</summary>
    public static void Check(int rc, string call)
    {
        if (rc != Success)
        {
            throw new DistributedException($"{call} failed with MPI error code {rc}");
        }
    }
}

using System.Globalization;

namespace Nabla;

/// <summary>
/// The process group of data-parallel training (PyTorch's <c>torch.distributed</c>), on MPI: started by
/// <c>mpirun -np N program</c>, every process runs the same program and <see cref="Rank"/> tells them apart.
/// </summary>
/// <remarks>
/// <para>Outside <c>mpirun</c> (no <c>OMPI_COMM_WORLD_SIZE</c> or PMIx variables) <see cref="Init"/> does not load MPI
/// at all: the program runs as rank 0 of a world of size 1, and every collective returns its input.</para>
/// <para><b>No silent hang.</b> Every collective waits at most <see cref="Timeout"/> (default 300 s, or the
/// <c>NABLA_DISTRIBUTED_TIMEOUT</c> variable in seconds); past it, the process writes which collective on which rank
/// timed out and calls <c>MPI_Abort</c>, which ends every process of the job. A process that dies is noticed by
/// <c>mpirun</c>, which names its rank and ends the others.</para>
/// <example><code>
/// Distributed.Init();
/// var ddp = new DistributedDataParallel(model);
/// ... train ...
/// Distributed.Finalize();
/// </code></example>
/// </remarks>
public static unsafe partial class Distributed
{
    private static bool initialized;

    /// <summary>True once <see cref="Init"/> has run (and <see cref="Finalize"/> has not).</summary>
    public static bool IsInitialized => initialized;

    /// <summary>True when MPI is in use (the process was started by <c>mpirun</c>).</summary>
    public static bool UsesMpi { get; private set; }

    /// <summary>This process's index in the world, 0..<see cref="WorldSize"/>−1 (0 outside <c>mpirun</c>).</summary>
    public static int Rank { get; private set; }

    /// <summary>The number of processes (1 outside <c>mpirun</c>).</summary>
    public static int WorldSize { get; private set; } = 1;

    /// <summary>This process's index among those on its machine (<c>OMPI_COMM_WORLD_LOCAL_RANK</c>; 0 outside <c>mpirun</c>).</summary>
    public static int LocalRank { get; private set; }

    /// <summary>The number of processes on this machine (<c>OMPI_COMM_WORLD_LOCAL_SIZE</c>; 1 outside <c>mpirun</c>).</summary>
    public static int LocalWorldSize { get; private set; } = 1;

    /// <summary>True on rank 0, the process that prints and writes files.</summary>
    public static bool IsMainProcess => Rank == 0;

    /// <summary>The longest a collective may wait before the job is aborted (see remarks).</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds());

    /// <summary>True when this process was started by <c>mpirun</c> (Open MPI's or PMIx's variables are set).</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>
    /// Joins the process group: under <c>mpirun</c> loads <c>libmpi</c> and calls <c>MPI_Init_thread</c>; otherwise
    /// becomes rank 0 of 1 without MPI. Calling it again does nothing.
    /// </summary>
    /// <exception cref="DistributedException">Started by <c>mpirun</c> but <c>libmpi</c> is missing or fails to start.</exception>
    public static void Init()
    {
        if (initialized)
        {
            return;
        }

        if (!LaunchedByMpirun)
        {
            (Rank, WorldSize, LocalRank, LocalWorldSize, UsesMpi, initialized) = (0, 1, 0, 1, false, true);
            return;
        }

        Mpi.Load();
        int provided, rank, size;
        lock (Mpi.Gate)
        {
            Mpi.Check(Mpi.InitThread(null, null, Mpi.ThreadSerialized, &provided), "MPI_Init_thread");
            Mpi.Check(Mpi.CommRank(Mpi.CommWorld, &rank), "MPI_Comm_rank");
            Mpi.Check(Mpi.CommSize(Mpi.CommWorld, &size), "MPI_Comm_size");
        }

        if (provided < Mpi.ThreadSerialized)
        {
            throw new DistributedException($"MPI provides thread level {provided}; Nabla.Distributed needs MPI_THREAD_SERIALIZED (2)");
        }

        (Rank, WorldSize, UsesMpi, initialized) = (rank, size, true, true);
        LocalRank = EnvInt("OMPI_COMM_WORLD_LOCAL_RANK") ?? EnvInt("MPI_LOCALRANKID") ?? 0;
        LocalWorldSize = EnvInt("OMPI_COMM_WORLD_LOCAL_SIZE") ?? EnvInt("MPI_LOCALNRANKS") ?? 1;
    }

    /// <summary>Leaves the process group (<c>MPI_Finalize</c>); the last MPI call of the program.</summary>
#pragma warning disable CS0465 // MPI's name; a static class has no destructor to confuse it with
    public static void Finalize()
#pragma warning restore CS0465
    {
        if (!initialized)
        {
            return;
        }

        if (UsesMpi)
        {
            Barrier();
            lock (Mpi.Gate)
            {
                Mpi.Check(Mpi.Finalize(), "MPI_Finalize");
            }
        }

        initialized = false;
    }

    /// <summary>
    /// Ends every process of the job (<c>MPI_Abort</c>) after writing <paramref name="message"/> to standard error;
    /// outside MPI exits the process. Used on an error that would otherwise leave the other ranks waiting forever.
    /// </summary>
    public static void Abort(string message, int exitCode = 1)
    {
        Console.Error.WriteLine($"nabla: rank {Rank}: {message}");
        Console.Error.Flush();
        if (UsesMpi)
        {
            _ = Mpi.Abort(Mpi.CommWorld, exitCode); // no lock: the holder may be the call that hung
        }

        Environment.Exit(exitCode);
    }

    /// <summary>Throws unless <see cref="Init"/> has run.</summary>
    internal static void RequireInit()
    {
        if (!initialized)
        {
            throw new InvalidOperationException("call Distributed.Init() before using collectives or DistributedDataParallel");
        }
    }

    private static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;

    private static double DefaultTimeoutSeconds() =>
        double.TryParse(Environment.GetEnvironmentVariable("NABLA_DISTRIBUTED_TIMEOUT"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0
            ? s : 300;
}

/// <summary>An error of the distributed runtime: MPI missing or failing, or a collective that timed out.</summary>
public sealed class DistributedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DistributedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public DistributedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public DistributedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

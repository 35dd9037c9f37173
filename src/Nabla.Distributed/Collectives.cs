using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Nabla;

/// <summary>How <see cref="Distributed.AllReduce"/> combines the processes' tensors.</summary>
public enum ReduceOp
{
    /// <summary>Element-wise sum.</summary>
    Sum,

    /// <summary>Element-wise mean: the sum divided by the world size.</summary>
    Mean,

    /// <summary>Element-wise maximum.</summary>
    Max,

    /// <summary>Element-wise minimum.</summary>
    Min,
}

public static unsafe partial class Distributed
{
    private static long collectiveCount;

    /// <summary>
    /// Combines <paramref name="tensor"/> across all processes, in place (PyTorch's <c>dist.all_reduce</c>): afterwards
    /// every process holds, element by element, Σᵣ tensorᵣ (or the mean, max or min). MPI reads and writes the tensor's
    /// own storage: no copy is made.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not contiguous, or not Float32, Float64 or Int64.</exception>
    public static void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => AllReduceAsync(tensor, op).Wait();

    /// <summary>
    /// Starts <see cref="AllReduce"/> and returns at once (<c>MPI_Iallreduce</c>; PyTorch's <c>async_op=True</c>).
    /// The tensor must not be read or written until <see cref="Work.Wait"/> returns.
    /// </summary>
    public static Work AllReduceAsync(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        var (type, count) = Describe(tensor, "AllReduce");
        if (!UsesMpi)
        {
            return Work.Done;
        }

        nint mpiOp = op switch { ReduceOp.Max => Mpi.OpMax, ReduceOp.Min => Mpi.OpMin, _ => Mpi.OpSum };
        var pin = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
        nint request;
        lock (Mpi.Gate)
        {
            Mpi.Check(Mpi.Iallreduce(Mpi.InPlace, Address(pin, tensor), count, type, mpiOp, Mpi.CommWorld, &request), "MPI_Iallreduce");
        }

        return new Work(request, "all-reduce", [pin], op == ReduceOp.Mean ? tensor : null);
    }

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="tensor"/> into every other process's, in place (<c>dist.broadcast</c>).</summary>
    /// <exception cref="ArgumentException">The tensor is not contiguous or of an unsupported type, or the root is out of range.</exception>
    public static void Broadcast(Tensor tensor, int root = 0)
    {
        var (type, count) = Describe(tensor, "Broadcast");
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, WorldSize);
        if (!UsesMpi)
        {
            return;
        }

        var pin = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
        nint request;
        lock (Mpi.Gate)
        {
            Mpi.Check(Mpi.Ibcast(Address(pin, tensor), count, type, root, Mpi.CommWorld, &request), "MPI_Ibcast");
        }

        new Work(request, "broadcast", [pin], null).Wait();
    }

    /// <summary>
    /// Gathers every process's <paramref name="tensor"/> (all of the same shape) into one tensor of shape
    /// [<see cref="WorldSize"/>, ...shape], rank r's at index r, on every process (<c>dist.all_gather_into_tensor</c>).
    /// </summary>
    public static Tensor AllGather(Tensor tensor)
    {
        var (type, count) = Describe(tensor, "AllGather");
        var output = Tensor.Empty(new Shape([WorldSize, .. tensor.Shape.ToArray()]), tensor.DType);
        if (!UsesMpi)
        {
            using (GradMode.NoGrad())
            {
                output.CopyInPlace(tensor.Unsqueeze(0));
            }

            return output;
        }

        var pinIn = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
        var pinOut = GCHandle.Alloc(output.Data, GCHandleType.Pinned);
        nint request;
        lock (Mpi.Gate)
        {
            Mpi.Check(Mpi.Iallgather(Address(pinIn, tensor), count, type, Address(pinOut, output), count, type, Mpi.CommWorld, &request), "MPI_Iallgather");
        }

        new Work(request, "all-gather", [pinIn, pinOut], null).Wait();
        return output;
    }

    /// <summary>Waits until every process has reached this call (<c>dist.barrier</c>).</summary>
    public static void Barrier()
    {
        RequireInit();
        if (!UsesMpi)
        {
            return;
        }

        nint request;
        lock (Mpi.Gate)
        {
            Mpi.Check(Mpi.Ibarrier(Mpi.CommWorld, &request), "MPI_Ibarrier");
        }

        new Work(request, "barrier", [], null).Wait();
    }

    /// <summary>Checks the tensor and returns its MPI datatype and element count.</summary>
    private static (nint Type, int Count) Describe(Tensor tensor, string what)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        RequireInit();
        if (!tensor.IsContiguous)
        {
            throw new ArgumentException($"{what}: the tensor (shape {tensor.Shape}) is not contiguous; collectives work in place on contiguous storage (call Contiguous() first)");
        }

        if (tensor.Numel > int.MaxValue)
        {
            throw new ArgumentException($"{what}: {tensor.Numel} elements is more than MPI's count limit {int.MaxValue}");
        }

        nint type = tensor.DType switch
        {
            DType.Float32 => Mpi.Float,
            DType.Float64 => Mpi.Double,
            DType.Int64 => Mpi.Int64,
            _ => throw new ArgumentException($"{what}: {tensor.DType} tensors are not supported (Float32, Float64 or Int64)"),
        };
        return (type, (int)tensor.Numel);
    }

    private static void* Address(GCHandle pin, Tensor t) =>
        (byte*)pin.AddrOfPinnedObject() + ((long)t.Offset * t.DType.ElementSize());

    /// <summary>
    /// Waits for <paramref name="request"/>, polling MPI (which also progresses other outstanding collectives) and
    /// aborting the whole job past <see cref="Timeout"/> (see the class remarks).
    /// </summary>
    internal static void WaitFor(ref nint request, string what)
    {
        long id = Interlocked.Increment(ref collectiveCount);
        var clock = Stopwatch.StartNew();
        var spin = default(SpinWait);
        while (!TestOnce(ref request))
        {
            if (clock.Elapsed > Timeout)
            {
                Abort(string.Create(CultureInfo.InvariantCulture,
                    $"{what} (collective #{id}) did not complete within {Timeout.TotalSeconds:F0} s: another rank is dead, hung or out of step; aborting the job"));
            }

            if (clock.ElapsedMilliseconds < 20)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            else
            {
                Thread.Sleep(1); // a long wait (another rank is still computing): leave the core to it
            }
        }
    }

    /// <summary>One <c>MPI_Test</c>: true when the request has completed (it is then freed).</summary>
    internal static bool TestOnce(ref nint request)
    {
        int flag;
        lock (Mpi.Gate)
        {
            fixed (nint* r = &request)
            {
                Mpi.Check(Mpi.Test(r, &flag, null), "MPI_Test");
            }
        }

        return flag != 0;
    }
}

/// <summary>A collective in flight (PyTorch's <c>Work</c>): <see cref="Wait"/> for it before touching its tensor.</summary>
public sealed class Work
{
    private readonly string what;
    private readonly GCHandle[] pins;
    private readonly Tensor? mean;
    private nint request;
    private bool completed;

    internal Work(nint request, string what, GCHandle[] pins, Tensor? mean)
    {
        (this.request, this.what, this.pins, this.mean) = (request, what, pins, mean);
    }

    private Work()
        : this(0, "none", [], null) => completed = true;

    /// <summary>A finished work (collectives in a world of one process).</summary>
    internal static Work Done { get; } = new();

    /// <summary>True once the collective has completed and <see cref="Wait"/> would return at once.</summary>
    public bool IsCompleted => completed || Test();

    /// <summary>Polls the collective once, letting MPI progress it; true when it has completed.</summary>
    public bool Test()
    {
        if (!completed && Distributed.TestOnce(ref request))
        {
            Finish();
        }

        return completed;
    }

    /// <summary>Blocks until the collective has completed (aborting the job past <see cref="Distributed.Timeout"/>).</summary>
    public void Wait()
    {
        if (!completed)
        {
            Distributed.WaitFor(ref request, what);
            Finish();
        }
    }

    private void Finish()
    {
        completed = true;
        foreach (var p in pins)
        {
            p.Free();
        }

        if (mean is not null)
        {
            using (GradMode.NoGrad())
            {
                mean.MulInPlace(1.0 / Distributed.WorldSize);
            }
        }
    }
}

using System.Runtime.CompilerServices;

namespace Nabla.Ops.Kernels;

/// <summary>
/// Recycles large arrays (tensors' storage and kernels' scratch), as PyTorch's CPU allocator keeps freed blocks: a training step
/// allocates the same activation and gradient sizes every time, and fresh arrays from the GC cost a page fault
/// per 4 KiB on first touch (the GC decommits the memory it frees, so every step faulted its whole working set
/// in again: about 1,300 faults per ResNet-8 step, 100,000 per Transformer step; docs/performance.md).
/// </summary>
/// <remarks>
/// <para>
/// An array goes back to the pool only once nothing references it any more, tensor or raw array alike, so a
/// recycled array can never be seen through an old reference: each pooled array has a finalizable sentinel
/// that the array keeps alive through a <see cref="ConditionalWeakTable{TKey, TValue}"/> (a dependent handle:
/// the sentinel lives exactly as long as the array), and the sentinel's finalizer runs only when the array has
/// become unreachable; it then puts the array, which only the sentinel still references, back into the pool.
/// </para>
/// <para>
/// Arrays of at least <see cref="MinPooledElements"/> elements are pooled, by exact element type and length
/// (a training step repeats its shapes). A pooled array is uninitialised, as an empty tensor's storage always
/// were: it holds an earlier tensor's numbers. Unreachable arrays are found only by the GC, and a pooled array
/// soon lives in generation 2, so when the pool runs dry with more bytes handed out than were alive after the
/// last collection (plus a slack), a rent runs one full, non-compacting collection and waits for the
/// finalizers, instead of taking new memory.
/// </para>
/// <para>
/// Idle memory is bounded twice: by <see cref="MaxIdleBytes"/>, and at every generation-2 collection the arrays
/// of a size that no rent asked for in the last 60 seconds are left to the GC (a model trained and dropped leaves
/// nothing behind; a training step rents its sizes many times a second).
/// </para>
/// </remarks>
internal static class PooledArrays
{
    /// <summary>Arrays shorter than this come from the GC directly (its small-object heap reuses them well).</summary>
    internal const int MinPooledElements = 1 << 15;

    // Bytes handed out between two forced collections: at least this, or the bytes alive after the last one. A
    // forced collection costs a few milliseconds; this makes it one per two ResNet-8 steps or fewer.
    private const long MinSlackBytes = 128L << 20;

    // A size not rented for this long is trimmed at the next generation-2 collection. Not shorter: a process that runs
    // several models in turn (the benchmark's round-robin, an evaluation between epochs) comes back to a size after
    // seconds, and with 10 s a round slowed down by other load lost every size, refilled the pool from fresh pages
    // (16,000-32,000 page faults for ResNet-8) and so ran slower still (docs/performance.md).
    internal const long TrimAfterMilliseconds = 60_000;

    private static readonly object Gate = new();
    private static readonly Dictionary<(Type Type, int Length), Bucket> Idle = [];
    private static readonly ConditionalWeakTable<Array, Sentinel> Sentinels = [];
    private static readonly bool Poison = Environment.GetEnvironmentVariable("NABLA_TENSOR_POOL_POISON") == "1";
    private static long idleBytes;
    private static long outstandingBytes;
    private static long liveAfterCollect;
    private static int finalizerThread = -1;
    private static long reused;
    private static int collections;
    private static long collectTicks;

    static PooledArrays() => _ = new Ticker();

    /// <summary>
    /// Whether large tensors' arrays are recycled (default true; the environment variable
    /// <c>NABLA_TENSOR_POOL=0</c> turns it off). While it is off, arrays that die are left to the GC; idle ones are
    /// trimmed as usual.
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("NABLA_TENSOR_POOL") != "0";

    /// <summary>
    /// The most bytes kept idle in the pool (default 4 GiB, or a quarter of the memory available to the GC where that is
    /// less); an array returned beyond it is left to the GC, and the next rent of its size takes fresh memory.
    /// </summary>
    internal static long MaxIdleBytes { get; set; } = DefaultMaxIdleBytes();

    // 1 GiB was too little for the benchmark's twelve workloads in one process (their idle sizes add up to about
    // 1.6 GiB): returns beyond it were dropped and rented afresh, page-faulted in every step.
    private static long DefaultMaxIdleBytes()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? Math.Min(4L << 30, available / 4) : 1L << 30;
    }

    /// <summary>Bytes of pooled arrays now idle, waiting to be reused.</summary>
    internal static long IdleBytes => Interlocked.Read(ref idleBytes);

    /// <summary>Rents handed out from the pool since the process started.</summary>
    internal static long Reused => Interlocked.Read(ref reused);

    /// <summary>Full collections the pool ran because it had run dry.</summary>
    internal static int Collections => Volatile.Read(ref collections);

    /// <summary>Time spent in <see cref="Collections"/>, finalizers included.</summary>
    internal static TimeSpan CollectionTime => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref collectTicks));

    /// <summary>An uninitialised array of <paramref name="length"/> elements, recycled when a large one is free.</summary>
    internal static T[] Rent<T>(int length)
        where T : unmanaged
    {
        if (!Enabled || length < MinPooledElements)
        {
            return GC.AllocateUninitializedArray<T>(length);
        }

        long bytes = (long)length * Unsafe.SizeOf<T>();
        var array = Take<T>(length, bytes);
        if (array is null && ShouldCollect())
        {
            Collect();
            array = Take<T>(length, bytes);
        }

        if (array is null)
        {
            array = ScratchMemory.AllocateAligned<T>(length);
            Sentinels.Add(array, new Sentinel(array, bytes));
            Interlocked.Add(ref outstandingBytes, bytes);
        }

        if (Poison)
        {
            PoisonFill(array);
        }

        return array;
    }

    private static T[]? Take<T>(int length, long bytes)
        where T : unmanaged
    {
        lock (Gate)
        {
            var bucket = BucketOf(typeof(T), length);
            bucket.LastRent = Environment.TickCount64; // from the pool or (a miss) fresh
            if (bucket.Arrays.Count == 0)
            {
                return null;
            }

            idleBytes -= bytes;
            outstandingBytes += bytes;
            reused++;
            return (T[])bucket.Arrays.Pop();
        }
    }

    // Collect only when enough has been handed out since the last collection for garbage to be likely: a pool
    // that holds everything alive (a growing in-memory data set) must not collect on every rent.
    private static bool ShouldCollect()
    {
        long live = Interlocked.Read(ref liveAfterCollect);
        return Interlocked.Read(ref outstandingBytes) - live >= Math.Max(MinSlackBytes, live)
            && Environment.CurrentManagedThreadId != Volatile.Read(ref finalizerThread);
    }

    private static void Collect()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        GC.WaitForPendingFinalizers();
        Interlocked.Add(ref collectTicks, System.Diagnostics.Stopwatch.GetTimestamp() - start);
        Interlocked.Exchange(ref liveAfterCollect, Interlocked.Read(ref outstandingBytes));
        Interlocked.Increment(ref collections);
    }

    // Called by a sentinel's finalizer: the array is unreachable but for the sentinel. True when it was pooled.
    private static bool Return(Array array, long bytes)
    {
        Volatile.Write(ref finalizerThread, Environment.CurrentManagedThreadId);
        lock (Gate)
        {
            outstandingBytes -= bytes;
            if (!Enabled || idleBytes + bytes > MaxIdleBytes)
            {
                return false;
            }

            BucketOf(array.GetType().GetElementType()!, array.Length).Arrays.Push(array);
            idleBytes += bytes;
            return true;
        }
    }

    private static Bucket BucketOf(Type type, int length)
    {
        if (!Idle.TryGetValue((type, length), out var bucket))
        {
            Idle[(type, length)] = bucket = new Bucket();
        }

        return bucket;
    }

    /// <summary>Leaves to the GC the idle arrays of every size not rented for <paramref name="idleMilliseconds"/>.</summary>
    internal static void Trim(long idleMilliseconds = TrimAfterMilliseconds)
    {
        ScratchMemory.Trim(idleMilliseconds);
        long now = Environment.TickCount64;
        lock (Gate)
        {
            foreach (var (key, bucket) in Idle.ToArray())
            {
                if (now - bucket.LastRent < idleMilliseconds)
                {
                    continue;
                }

                Idle.Remove(key);
                foreach (var array in bucket.Arrays)
                {
                    // Unhooked from its sentinel, the array is an ordinary one: nothing returns it when it dies.
                    if (Sentinels.TryGetValue(array, out var sentinel))
                    {
                        sentinel.Retire();
                        Sentinels.Remove(array);
                    }

                    idleBytes -= (long)array.Length * (array switch { float[] => sizeof(float), _ => sizeof(long) });
                }
            }
        }
    }

    private static void PoisonFill<T>(T[] array)
        where T : unmanaged
    {
        switch (array)
        {
            case float[] f: Array.Fill(f, float.NaN); break;
            case double[] d: Array.Fill(d, double.NaN); break;
            case long[] l: Array.Fill(l, long.MinValue); break;
        }
    }

    private sealed class Bucket
    {
        public Stack<Array> Arrays { get; } = new();

        public long LastRent { get; set; } = Environment.TickCount64;
    }

    /// <summary>Finalized at every collection of its generation (2, once promoted): trims the pool, then lives on.</summary>
    private sealed class Ticker
    {
        ~Ticker()
        {
            if (Environment.HasShutdownStarted)
            {
                return;
            }

            Trim();
            GC.ReRegisterForFinalize(this);
        }
    }

    /// <summary>Lives as long as its array (through <see cref="Sentinels"/>) and returns it when it dies.</summary>
    private sealed class Sentinel(Array array, long bytes)
    {
        private volatile bool retired;

        /// <summary>Returns nothing any more: the array leaves the pool for good.</summary>
        public void Retire() => retired = true;

        ~Sentinel()
        {
            if (retired || !Return(array, bytes))
            {
                return; // left to the GC: the array and this sentinel are collected together
            }

            // Pooled again: the table must still tie this sentinel to the array (it does, since the array was
            // resurrected with the sentinel; re-adding guards that), and the next death must finalize again.
            Sentinels.AddOrUpdate(array, this);
            GC.ReRegisterForFinalize(this);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Ops.Kernels;

/// <summary>
/// Scratch arrays for kernels (transposed inputs, packed weights, column matrices), rented and returned explicitly
/// around one call, as <c>ArrayPool&lt;T&gt;.Shared</c> does, but placed for good: on the pinned-object heap with their
/// first element on a 64-byte boundary.
/// </summary>
/// <remarks>
/// <para>
/// Why not the shared array pool: its arrays sit wherever the GC put them (8-byte aligned, so an AVX-512 load or
/// store of 16 floats straddles two cache lines unless the array happened to start on a boundary), a compacting
/// collection moves them (the benchmark's harness runs one before every repetition), and its idle arrays are dropped
/// at generation-2 collections and allocated afresh, page-faulted in. A convolution's speed then depended on where
/// its scratch happened to lie (docs/performance.md, "Pool trim and convolution scratch").
/// </para>
/// <para>
/// Lengths are rounded up to a power of two (a call may use the first <c>length</c> elements only; the rest holds
/// an earlier call's numbers), so that the many sizes of one model share a few arrays. At most
/// <see cref="MaxPerSize"/> arrays of a size wait idle; a size not rented for a minute is left to the GC at the
/// pool's next trim (the tensor pool's, at generation-2 collections).
/// </para>
/// </remarks>
internal static class ScratchMemory
{
    /// <summary>Idle arrays kept per element type and length: enough for the nested rents of a few threads.</summary>
    internal const int MaxPerSize = 8;

    private const int MinLength = 64;
    private const int MaxLength = 1 << 30;

    // One per element type rented so far.
    private static readonly System.Collections.Concurrent.ConcurrentQueue<Action<long>> Trimmers = new();

    /// <summary>
    /// An uninitialised, pinned array of at least <paramref name="length"/> elements, on a 64-byte boundary where the heap
    /// allows (see <see cref="AllocateAligned{T}"/>).
    /// </summary>
    public static T[] Rent<T>(int length)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            return [];
        }

        if (length > MaxLength)
        {
            return GC.AllocateUninitializedArray<T>(length); // not pooled (a call this large amortises its allocation)
        }

        int size = SizeOf(length);
        var stack = Idle<T>.Sizes[size];
        lock (stack)
        {
            Idle<T>.LastRent[size] = Environment.TickCount64;
            if (stack.Count > 0)
            {
                return stack.Pop();
            }
        }

        return AllocateAligned<T>(1 << size);
    }

    /// <summary>Gives back an array from <see cref="Rent{T}"/>; the caller must not use it afterwards.</summary>
    public static void Return<T>(T[] array)
        where T : unmanaged
    {
        if (array.Length == 0 || !Owned(array))
        {
            return;
        }

        var stack = Idle<T>.Sizes[SizeOf(array.Length)];
        lock (stack)
        {
            if (stack.Count < MaxPerSize)
            {
                stack.Push(array);
            }
        }
    }

    /// <summary>Leaves to the GC the idle arrays of every size not rented for <paramref name="idleMilliseconds"/>.</summary>
    internal static void Trim(long idleMilliseconds)
    {
        foreach (var trim in Trimmers)
        {
            trim(idleMilliseconds);
        }
    }

    /// <summary>Idle arrays of element type <typeparamref name="T"/> and <paramref name="length"/>'s rounded size (for tests).</summary>
    internal static int IdleCount<T>(int length)
        where T : unmanaged
    {
        var stack = Idle<T>.Sizes[SizeOf(length)];
        lock (stack)
        {
            return stack.Count;
        }
    }

    // log2 of the rounded length: 6 for up to 64 elements, then the next power of two (at most 30).
    private static int SizeOf(int length) =>
        length <= MinLength ? 6 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)length - 1);

    // Rent's lengths: a power of two from 64 to 2^30. Anything else is not taken back.
    private static bool Owned<T>(T[] array)
    {
        int n = array.Length;
        return n >= MinLength && n <= MaxLength && (n & (n - 1)) == 0;
    }

    private static class Idle<T>
        where T : unmanaged
    {
        public static readonly Stack<T[]>[] Sizes = Enumerable.Range(0, 31).Select(_ => new Stack<T[]>()).ToArray();
        public static readonly long[] LastRent = new long[31];

        static Idle() => Trimmers.Enqueue(Trim);

        public static void Trim(long idleMilliseconds)
        {
            long now = Environment.TickCount64;
            for (int s = 0; s < Sizes.Length; s++)
            {
                lock (Sizes[s])
                {
                    if (now - LastRent[s] >= idleMilliseconds)
                    {
                        Sizes[s].Clear();
                    }
                }
            }
        }
    }

    // A pooled array (tensor or scratch) lives long and is reused by every step, so its placement is for good: on the pinned-object heap
    // (a compacting collection never moves it) with its first element on a 64-byte boundary, where AVX-512 loads and
    // stores never straddle two cache lines. A misaligned array ran the whole process at a slow level (LeNet-5
    // training 2.3× slower beside the Transformer workload). The heap places objects 8-byte aligned one after
    // another, so a small padding array moves the next one onto the boundary; where the heap puts it elsewhere
    // (a free gap), the next tries, then the array is taken as it is.
    internal static unsafe T[] AllocateAligned<T>(int length)
        where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(length, pinned: true);
        for (int attempt = 0; attempt < 4; attempt++)
        {
            nint data = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            if (data % 64 == 0)
            {
                return array;
            }

            // The heap places the next object right after this array, whose data ends at e (8-aligned): an array's data
            // starts 24 bytes into its allocation (object header, method table, length), and a byte[L] (L a multiple of
            // 8) takes 24 + L bytes, so after a padding byte[L] the next array's data is at e + 48 + L; choose L to put
            // that on a 64-byte boundary. (Measured on .NET 10; the formula used before, e + 16 + L, always missed by
            // 16 bytes, so only arrays that happened to come aligned were.)
            nint end = (data + ((nint)length * sizeof(T)) + 7) & ~(nint)7;
            int pad = (int)((64 - ((end + 48) % 64)) % 64);
            _ = GC.AllocateUninitializedArray<byte>(pad, pinned: true);
            array = GC.AllocateUninitializedArray<T>(length, pinned: true);
        }

        return array;
    }
}

using Nabla.Ops.Kernels;

namespace Nabla;

/// <summary>
/// The pool that recycles the arrays of large tensors and of the kernels' large scratch buffers, as PyTorch's CPU
/// allocator keeps freed blocks: a training step allocates the same sizes every time, and fresh arrays from the GC
/// cost a page fault per 4 KiB on first touch (docs/performance.md). An array returns to the pool only once
/// nothing references it any more; how, and how idle memory is bounded, is described on the implementation
/// (<c>Nabla.Ops.Kernels.PooledArrays</c>).
/// </summary>
public static class TensorMemory
{
    /// <summary>Arrays shorter than this come from the GC directly (its small-object heap reuses them well).</summary>
    public const int MinPooledElements = PooledArrays.MinPooledElements;

    /// <summary>
    /// Whether large arrays are recycled (default true; the environment variable <c>NABLA_TENSOR_POOL=0</c> turns it
    /// off). While it is off, arrays that die are left to the GC; idle ones are trimmed as usual.
    /// </summary>
    public static bool Enabled
    {
        get => PooledArrays.Enabled;
        set => PooledArrays.Enabled = value;
    }

    /// <summary>
    /// The most bytes kept idle in the pool (default 4 GiB, or a quarter of the memory available to the GC where that is
    /// less); an array returned beyond it is left to the GC, and the next rent of its size takes fresh memory.
    /// </summary>
    public static long MaxIdleBytes
    {
        get => PooledArrays.MaxIdleBytes;
        set => PooledArrays.MaxIdleBytes = value;
    }

    /// <summary>Bytes of pooled arrays now idle, waiting to be reused.</summary>
    public static long IdleBytes => PooledArrays.IdleBytes;

    /// <summary>Rents handed out from the pool since the process started.</summary>
    public static long Reused => PooledArrays.Reused;

    /// <summary>Full collections the pool ran because it had run dry.</summary>
    public static int Collections => PooledArrays.Collections;

    /// <summary>Time spent in <see cref="Collections"/>, finalizers included.</summary>
    public static TimeSpan CollectionTime => PooledArrays.CollectionTime;

    /// <summary>Leaves to the GC the idle arrays of every size not rented for <paramref name="idleMilliseconds"/>.</summary>
    internal static void Trim(long idleMilliseconds = PooledArrays.TrimAfterMilliseconds) => PooledArrays.Trim(idleMilliseconds);
}

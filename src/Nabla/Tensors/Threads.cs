using Nabla.Ops.Kernels;

namespace Nabla;

/// <summary>The number of worker threads Nabla's kernels may use (the analogue of <c>torch.set_num_threads</c>).</summary>
/// <remarks>
/// The default is <see cref="Environment.ProcessorCount"/>. Kernels split only independent outputs across
/// threads (GEMM tiles, batch items, channels), so results do not depend on this setting except where a
/// kernel says so.
/// </remarks>
public static class Threads
{
    /// <summary>Gets or sets the number of threads (at least 1).</summary>
    public static int Count
    {
        get => Workers.Count;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Count));
            Workers.Count = value;
        }
    }

    /// <summary>Parallel options limited to <see cref="Count"/> threads.</summary>
    internal static ParallelOptions Options => Workers.Options;
}

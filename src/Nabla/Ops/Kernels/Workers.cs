namespace Nabla.Ops.Kernels;

/// <summary>How many threads the kernels may use; <see cref="Threads.Count"/> is its public face, one level up.</summary>
internal static class Workers
{
    private static int count = Environment.ProcessorCount;

    /// <summary>The number of threads (at least 1).</summary>
    public static int Count
    {
        get => count;
        set => count = Math.Max(1, value);
    }

    /// <summary>Parallel options limited to <see cref="Count"/> threads.</summary>
    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = count };
}

namespace Nabla.Ops.Kernels;

/// <summary>How many threads the kernels may use; <see cref="Threads.Count"/> is its public face, one level up.</summary>
internal static class Workers
{
    private static int count = Environment.ProcessorCount;

    // Set on a thread that runs one share of ForImages: the kernels it calls run on it alone.
    [ThreadStatic]
    private static bool alone;

    /// <summary>The number of threads (at least 1); 1 on a thread that already runs one share of a split.</summary>
    public static int Count
    {
        get => alone ? 1 : count;
        set => count = Math.Max(1, value);
    }

    /// <summary>Parallel options limited to <see cref="Count"/> threads.</summary>
    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = Count };

    /// <summary>
    /// Runs <paramref name="share"/>(i, n0, count) for the shares i = 0 .. parts − 1 of images [0, <paramref name="images"/>),
    /// contiguous and as even as they can be, one per thread; the kernels a share calls run on its thread alone.
    /// </summary>
    /// <remarks>
    /// For the convolutions' column-matrix paths: splitting each chunk's im2col and GEMM between the threads instead made
    /// them meet a few times per chunk of images: on 2 cores ResNet-8's 64→64 weight gradient on 8×8 maps took no less
    /// time on 2 threads than on 1 (1.5-2.7 ms against 1.6), and alternated with the image split in one slow phase of
    /// the host 3.4-4.5 ms against 1.8-2.7 (docs/performance.md).
    /// </remarks>
    public static void ForImages(int parts, int images, Action<int, int, int> share)
    {
        parts = Math.Max(1, Math.Min(parts, images));
        if (parts == 1)
        {
            share(0, 0, images);
            return;
        }

        Parallel.For(0, parts, Options, p =>
        {
            int n0 = (int)((long)images * p / parts), n1 = (int)((long)images * (p + 1) / parts);
            bool was = alone;
            alone = true;
            try
            {
                share(p, n0, n1 - n0);
            }
            finally
            {
                alone = was;
            }
        });
    }

    /// <summary>
    /// sum = Σₙ fₙ over images n ∈ [0, <paramref name="images"/>), split as <see cref="ForImages"/> does: each share adds
    /// its images into its own zeroed copy of the <paramref name="size"/> sums (the first share into
    /// <paramref name="sum"/> itself), and the copies are added at the end, so no thread waits for another until then.
    /// <paramref name="share"/>(n0, count, copy) adds images [n0, n0 + count) into copy.
    /// </summary>
    public static void SumOverImages<T>(int parts, int images, T[] sum, int size, Action<int, int, ArraySegment<T>> share)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        parts = Math.Max(1, Math.Min(parts, images));
        sum.AsSpan(0, size).Clear();
        T[] copies = ScratchMemory.Rent<T>((parts - 1) * size);
        try
        {
            copies.AsSpan(0, (parts - 1) * size).Clear();
            ForImages(parts, images, (p, n0, count) =>
                share(n0, count, p == 0 ? new ArraySegment<T>(sum, 0, size) : new ArraySegment<T>(copies, (p - 1) * size, size)));
            for (int p = 0; p < parts - 1; p++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(sum.AsSpan(0, size), copies.AsSpan(p * size, size), sum.AsSpan(0, size));
            }
        }
        finally
        {
            ScratchMemory.Return(copies);
        }
    }
}

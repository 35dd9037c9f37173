using Nabla.Ops.Kernels;

namespace Nabla.Tests.Kernels;

/// <summary>The image split of the convolutions' column paths: shares, the threads inside them, and the summed copies.</summary>
[Collection(GlobalStateCollection.Name)]
public class WorkersTests
{
    [Fact]
    public void Shares_cover_the_images_once_and_run_their_kernels_on_one_thread()
    {
        int saved = Threads.Count;
        try
        {
            Threads.Count = 3;
            var seen = new int[7];
            var inside = new System.Collections.Concurrent.ConcurrentBag<int>();
            Workers.ForImages(3, 7, (_, n0, count) =>
            {
                inside.Add(Workers.Count);
                for (int n = n0; n < n0 + count; n++)
                {
                    Interlocked.Increment(ref seen[n]);
                }
            });
            Assert.All(seen, v => Assert.Equal(1, v));
            Assert.Equal([1, 1, 1], inside.ToArray());
            Assert.Equal(3, Workers.Count);
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    [Fact]
    public void Sum_over_images_adds_every_share_once_into_a_cleared_sum()
    {
        // Σₙ (n + 1) over n < 10 in each of 4 slots = 55; the sum starts with junk that must be cleared.
        int saved = Threads.Count;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Threads.Count = threads;
                var sum = new double[] { 9, 9, 9, 9 };
                Workers.SumOverImages(threads, 10, sum, 4, (n0, count, copy) =>
                {
                    for (int n = n0; n < n0 + count; n++)
                    {
                        for (int j = 0; j < 4; j++)
                        {
                            copy.Array![copy.Offset + j] += n + 1;
                        }
                    }
                });
                Assert.Equal([55.0, 55, 55, 55], sum);
            }
        }
        finally
        {
            Threads.Count = saved;
        }
    }
}

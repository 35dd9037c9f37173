using System.Runtime.CompilerServices;

namespace Nabla.Tests.Tensors;

/// <summary>
/// The tensor memory pool: a large tensor's array is reused once nothing references it, and never while anything
/// does (a tensor, a view, or the raw array alone). Runs alone: it forces collections and watches the pool.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class TensorMemoryTests
{
    // Element counts no other test uses, one per test, so the pool's bucket for each holds only that test's arrays.
    private const int Length = TensorMemory.MinPooledElements + 4_091;
    private const int KeptLength = Length + 1;
    private const int OffLength = Length + 2;
    private const int ThreadsLength = Length + 3;
    private const int TrimLength = Length + 4;

    [Fact]
    public void An_unreachable_array_is_reused_for_the_next_tensor_of_its_size()
    {
        TensorMemory.Trim(idleMilliseconds: 0); // room below MaxIdleBytes, whatever the tests before left idle
        var old = DropTensor(Length);
        CollectFully();
        Assert.True(old.IsAlive, "the pool should have resurrected the array");
        var fresh = Tensor.Zeros([Length]);
        Assert.Same(old.Target, fresh.Data);
        Assert.All(fresh.ToFloatArray(), v => Assert.Equal(0f, v)); // Zeros writes every element of a reused array
    }

    [Fact]
    public void An_array_still_referenced_is_never_handed_out_again()
    {
        var kept = Tensor.Full([KeptLength], 7);
        var view = kept.Reshape(1, KeptLength);    // a view shares the array
        var raw = kept.Data;                       // so does a raw reference, with no tensor left
        kept = null;
        view = null;
        CollectFully();

        var fresh = Tensor.Full([KeptLength], -1);
        Assert.NotSame(raw, fresh.Data);
        Assert.All((float[])raw, v => Assert.Equal(7f, v));
        GC.KeepAlive(kept);
        GC.KeepAlive(view);
    }

    [Fact]
    public void Switched_off_the_pool_hands_out_fresh_arrays()
    {
        TensorMemory.Enabled = false;
        try
        {
            var old = DropTensor(OffLength);
            CollectFully();
            var fresh = Tensor.Zeros([OffLength]);
            Assert.NotSame(old.Target, fresh.Data);
        }
        finally
        {
            TensorMemory.Enabled = true;
        }
    }

    [Fact]
    public void Threads_that_allocate_and_drop_while_collections_run_never_see_each_others_numbers()
    {
        // Each worker writes its own value into a new tensor, forces a collection now and then (which returns
        // every dropped array to the pool while the others run) and checks that its tensor still holds its
        // value: an array handed out twice would show another worker's value.
        int failures = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (int i = 0; i < 60; i++)
            {
                var t = Tensor.Full([ThreadsLength], worker * 1000 + i);
                if (i % 10 == worker)
                {
                    GC.Collect();
                }

                float expected = worker * 1000 + i;
                if (((float[])t.Data).Any(v => v != expected))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);
        Assert.True(TensorMemory.Reused > 0, "the workers' arrays should have been reused");
    }

    [Fact]
    public void Sizes_not_rented_for_a_while_are_left_to_the_GC()
    {
        var old = DropTensor(TrimLength);
        CollectFully();
        Assert.True(old.IsAlive);
        Thread.Sleep(2);
        TensorMemory.Trim(idleMilliseconds: 1); // the size was returned but not rented for 1 ms: dropped
        CollectFully();      // the retired sentinel dies, its finalizer still holding the array
        CollectFully();      // then the array
        Assert.False(old.IsAlive, "a trimmed array should be collected, not pooled again");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference DropTensor(int length) => new(Tensor.Zeros([length]).Data, trackResurrection: true);

    private static void CollectFully()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}

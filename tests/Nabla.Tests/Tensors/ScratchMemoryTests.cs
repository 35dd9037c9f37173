using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Nabla.Ops.Kernels;

namespace Nabla.Tests.Tensors;

/// <summary>
/// Kernel scratch arrays: 64-byte aligned, pinned, at least the length asked for, reused after an explicit return and
/// never handed out twice at once. Runs alone: it trims the pool that the kernels of other tests use.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class ScratchMemoryTests
{
    // Element type and sizes no kernel rents (the convolutions rent float and int), so the counts are this test's own.
    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 1)]
    public void A_rented_array_is_pinned_and_long_enough(int length)
    {
        var a = ScratchMemory.Rent<long>(length);
        Assert.True(a.Length >= length);
        Assert.True(a.Length < 2 * Math.Max(length, 64), $"{a.Length} for {length}: rounded up to the next power of two, at least 64");
        Assert.Equal(2, GC.GetGeneration(a)); // the pinned-object heap reports generation 2: never moved by a compaction
        ScratchMemory.Return(a);
    }

    // The tensor pool's placement, which the scratch arrays share. Odd lengths end anywhere, so the padding must adapt.
    // Where the heap puts the array after the padding somewhere else (a large one in a new region, another thread's
    // pinned allocation in between), the placement gives up after a few tries and the array comes as it is. By chance
    // one array in 8 starts on a boundary (the padding used before placed small arrays all 16 bytes off); with the
    // padding most must.
    [Fact]
    public unsafe void Pooled_arrays_of_small_lengths_mostly_start_on_a_64_byte_boundary()
    {
        int aligned = 0, total = 0;
        foreach (int length in new[] { 1, 3, 7, 100, 1001, 4099 })
        {
            for (int i = 0; i < 10; i++, total += 2)
            {
                var f = ScratchMemory.AllocateAligned<float>(length);
                var d = ScratchMemory.AllocateAligned<double>(length);
                aligned += (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(f)) % 64 == 0 ? 1 : 0;
                aligned += (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(d)) % 64 == 0 ? 1 : 0;
            }
        }

        Assert.True(aligned >= total / 2, $"{aligned} of {total} aligned");
    }

    [Fact]
    public void A_returned_array_is_reused_and_two_rents_get_two_arrays()
    {
        ScratchMemory.Trim(idleMilliseconds: 0);
        var a = ScratchMemory.Rent<long>(3000);
        var b = ScratchMemory.Rent<long>(4096); // the same rounded size
        Assert.NotSame(a, b);
        ScratchMemory.Return(a);
        Assert.Equal(1, ScratchMemory.IdleCount<long>(4096));
        Assert.Same(a, ScratchMemory.Rent<long>(2049));
        ScratchMemory.Return(b);
        ScratchMemory.Return(a);
        Assert.Equal(2, ScratchMemory.IdleCount<long>(4096));
    }

    [Fact]
    public void Arrays_it_did_not_hand_out_are_not_taken_and_idle_ones_are_bounded_and_trimmed()
    {
        ScratchMemory.Trim(idleMilliseconds: 0);
        ScratchMemory.Return(new long[100]); // not a length Rent hands out
        Assert.Equal(0, ScratchMemory.IdleCount<long>(100));

        var many = Enumerable.Range(0, ScratchMemory.MaxPerSize + 3).Select(_ => ScratchMemory.Rent<long>(8192)).ToArray();
        foreach (var a in many)
        {
            ScratchMemory.Return(a);
        }

        Assert.Equal(ScratchMemory.MaxPerSize, ScratchMemory.IdleCount<long>(8192));
        ScratchMemory.Trim(idleMilliseconds: 60_000);                   // rented just now: kept
        Assert.Equal(ScratchMemory.MaxPerSize, ScratchMemory.IdleCount<long>(8192));
        ScratchMemory.Trim(idleMilliseconds: 0);
        Assert.Equal(0, ScratchMemory.IdleCount<long>(8192));
    }

    [Fact]
    public void Concurrent_rents_never_share_an_array()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<long[], int>(ReferenceEqualityComparer.Instance);
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 2000; i++)
            {
                var a = ScratchMemory.Rent<long>(300);
                Assert.True(seen.TryAdd(a, 0), "an array was handed out while another rent held it");
                a[0] = i;
                a[299] = i;
                Assert.True(seen.TryRemove(a, out int _));
                ScratchMemory.Return(a);
            }
        });
    }
}

using Xunit.Abstractions;
using Nabla.NN;
using Nabla.Ops;

namespace Nabla.Tests.Attention;

/// <summary>
/// The memory the fused attention saves, at the size docs/attention.md reports (L = S = 2048, E = Ev = 64, float32,
/// one head): bytes allocated by the forward and by the first-order backward, fused kernel against the naive composite
/// (q·kᵀ, softmax, ·v in primitive ops, which holds L×S matrices of 16 MiB each). Allocated bytes bound the peak from
/// above: everything the call needs at once is among them. The counter is process-wide, so these tests run alone
/// (<see cref="GlobalStateCollection"/>): allocations of tests running beside them would count too. The tensor memory
/// pool is off while they run: arrays it recycles are not counted as allocated, and the tests measure what each form
/// needs, not what the pool already holds.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class AttentionMemoryTests : IDisposable
{
    private readonly ITestOutputHelper output;

    public AttentionMemoryTests(ITestOutputHelper output)
    {
        this.output = output;
        TensorMemory.Enabled = false;
    }

    public void Dispose() => TensorMemory.Enabled = true;

    [Fact]
    public void Fused_attention_allocates_a_fraction_of_the_naive_form()
    {
        const int n = 2048, e = 64;
        var g = new Generator(5);
        var (q, k, v) = (Tensor.Randn(new Shape(n, e), g).RequireGrad(), Tensor.Randn(new Shape(n, e), g).RequireGrad(), Tensor.Randn(new Shape(n, e), g).RequireGrad());
        var dy = Tensor.Randn(new Shape(n, e), g);
        // The fused form's least of three calls: a pool thread new to GEMM grows its own pack buffer once, which one
        // call may carry; the kernel's own allocations are the same every call.
        var fused = Enumerable.Range(0, 3).Select(_ => Measure(() => F.ScaledDotProductAttention(q, k, v), q, k, v, dy))
            .Aggregate((a, b) => (Math.Min(a.Forward, b.Forward), Math.Min(a.Backward, b.Backward)));
        var naive = Measure(() => ScaledDotProductAttentionOp.Composite(q, k, v, null, 1 / Math.Sqrt(e), false), q, k, v, dy);
        output.WriteLine($"L = S = {n}, E = {e}, float32: forward fused {fused.Forward} B, naive {naive.Forward} B; backward fused {fused.Backward} B, naive {naive.Backward} B");
        output.WriteLine($"time (forward + backward, indicative): fused {Seconds(() => F.ScaledDotProductAttention(q, k, v), q, k, v, dy):F3} s, " +
            $"naive {Seconds(() => ScaledDotProductAttentionOp.Composite(q, k, v, null, 1 / Math.Sqrt(e), false), q, k, v, dy):F3} s on {Threads.Count} threads");

        // The naive forward holds at least the logits and the weights (2·L·S·4 bytes); the fused one the output, the
        // log-sum-exp and one 64×64 tile per task; its backward the three gradients (3·L·E·4 = 1.5 MiB here) and tiles.
        long ls = (long)n * n * sizeof(float);
        Assert.True(naive.Forward >= 2 * ls, $"naive forward {naive.Forward} B");
        Assert.True(fused.Forward < ls / 4, $"fused forward {fused.Forward} B");
        Assert.True(naive.Backward >= 2 * ls, $"naive backward {naive.Backward} B");
        Assert.True(fused.Backward < ls / 2, $"fused backward {fused.Backward} B");
    }

    [Fact]
    public void Forward_keeps_no_L_by_S_matrix()
    {
        // L = S = 1024: the composite holds several 1024×1024 float matrices (4 MiB each); the kernel allocates the output,
        // the log-sum-exp and a 64×64 tile per task.
        var g = new Generator(1);
        var (q, k, v) = (Tensor.Randn(new Shape(1024, 16), g), Tensor.Randn(new Shape(1024, 16), g), Tensor.Randn(new Shape(1024, 16), g));
        // The least of three calls: a pool thread new to GEMM grows its own pack buffer once, so one call
        // may carry that; the kernel's own allocations are the same every call.
        F.ScaledDotProductAttention(q, k, v); // warm-up (JIT)
        long used = long.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            F.ScaledDotProductAttention(q, k, v, isCausal: true);
            used = Math.Min(used, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        Assert.True(used < 1024 * 1024 * 4 / 4, $"the fused forward allocated {used} bytes");
    }

    private static double Seconds(Func<Tensor> f, Tensor q, Tensor k, Tensor v, Tensor dy)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Autograd.Grad([f()], [q, k, v], [dy]);
        return watch.Elapsed.TotalSeconds;
    }

    private static (long Forward, long Backward) Measure(Func<Tensor> f, Tensor q, Tensor k, Tensor v, Tensor dy)
    {
        Autograd.Grad([f()], [q, k, v], [dy]); // warm-up (JIT, pools)
        long start = GC.GetTotalAllocatedBytes(precise: true);
        var y = f();
        long mid = GC.GetTotalAllocatedBytes(precise: true);
        Autograd.Grad([y], [q, k, v], [dy]);
        long end = GC.GetTotalAllocatedBytes(precise: true);
        return (mid - start, end - mid);
    }
}

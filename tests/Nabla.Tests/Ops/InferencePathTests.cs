using Nabla.NN;

namespace Nabla.Tests.Ops;

/// <summary>
/// The inference fast paths against the general ones they replace: the same numbers, bit for bit.
/// Max pooling without indices (no gradient needed) against the argmax kernel's values; element-wise ops with a
/// broadcast run of dims (a per-channel [1, C, 1, 1] against [N, C, H, W]) against the operand expanded in memory.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class InferencePathTests
{
    [Theory]
    [InlineData(3, 2, 1, 1, false, 1)] // ResNet's stem pool
    [InlineData(2, 2, 0, 1, false, 1)]
    [InlineData(3, 2, 1, 2, true, 2)] // dilation, ceil mode, two threads
    [InlineData(5, 3, 2, 1, true, 2)]
    [InlineData(3, 1, 1, 1, false, 2)]
    public void Max_pool_values_without_indices_equal_the_argmax_kernel(int k, int s, int p, int d, bool ceil, int threads)
    {
        WithThreads(threads, () =>
        {
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                var x = Tensor.Randn(new Shape(3, 5, 37, 29), new Generator(4)).To(dtype);
                x.SetFlat(100, double.NaN); // NaN propagates: the window holding it yields NaN in both paths
                var fast = Nabla.NN.F.MaxPool2d(x, k, s, p, d, ceil);
                var general = Nabla.NN.F.MaxPool2dWithIndices(x, k, s, p, d, ceil).Output;
                Assert.Equal(general.Shape, fast.Shape);
                Assert.Equal(general.ToDoubleArray(), fast.ToDoubleArray());
                Assert.Contains(double.NaN, fast.ToDoubleArray());
            }
        });
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 1)]
    [InlineData(7, 4, 2)]
    public void Adaptive_max_pool_values_without_indices_equal_the_argmax_kernel(int oh, int ow, int threads)
    {
        WithThreads(threads, () =>
        {
            var x = Tensor.Randn(new Shape(2, 3, 19, 13), new Generator(5));
            x.SetFlat(7, double.NaN);
            var fast = Nabla.NN.F.AdaptiveMaxPool2d(x, (oh, ow));
            Assert.Equal(Nabla.NN.F.AdaptiveMaxPool2dWithIndices(x, (oh, ow)).Output.ToDoubleArray(), fast.ToDoubleArray());
            Assert.Contains(double.NaN, fast.ToDoubleArray());
        });
    }

    [Fact]
    public void Max_pool_keeps_indices_when_a_gradient_is_needed()
    {
        // 4×4 plane 0..15, 2×2 windows: the maxima are the bottom-right corners, so dx is 1 exactly there.
        var x = Tensor.Arange(0, 16, 1, DType.Float64).Reshape(1, 1, 4, 4);
        x.RequiresGrad = true;
        Nabla.NN.F.MaxPool2d(x, 2).Sum().Backward();
        Assert.Equal([0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1.0], x.Grad!.ToDoubleArray());
    }

    [Theory]
    [InlineData(new[] { 4, 16, 33, 35 }, new[] { 1, 16, 1, 1 }, 1)] // batch-norm's per-channel scale
    [InlineData(new[] { 4, 16, 33, 35 }, new[] { 16, 1, 1 }, 2)]    // large: split between threads mid-run
    [InlineData(new[] { 2, 3, 5, 7 }, new[] { 1, 3, 5, 1 }, 2)]     // a run of two dims
    [InlineData(new[] { 6, 5, 7 }, new[] { 6, 1, 1 }, 1)]           // a leading column
    [InlineData(new[] { 6, 5, 7 }, new[] { 5, 7 }, 2)]              // a row
    [InlineData(new[] { 8, 130, 129 }, new[] { 130, 1 }, 2)]        // column inside, large
    public void Broadcast_runs_equal_the_expanded_operand(int[] full, int[] part, int threads)
    {
        WithThreads(threads, () =>
        {
            var g = new Generator(7);
            var a = Tensor.Randn(new Shape(full), g);
            var b = Tensor.Rand(new Shape(part), g) + 0.5;
            var bx = b.Expand(a.Shape).Contiguous();
            foreach (var (op, name) in new (Func<Tensor, Tensor, Tensor>, string)[]
                     { ((u, v) => u * v, "mul"), ((u, v) => u - v, "sub"), ((u, v) => u / v, "div"), ((u, v) => u + v, "add") })
            {
                Assert.True(op(a, bx).ToDoubleArray().SequenceEqual(op(a, b).ToDoubleArray()), $"{name}: a op b");
                Assert.True(op(bx, a).ToDoubleArray().SequenceEqual(op(b, a).ToDoubleArray()), $"{name}: b op a");
            }
        });
    }

    private static void WithThreads(int threads, Action body)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            body();
        }
        finally
        {
            Threads.Count = saved;
        }
    }
}

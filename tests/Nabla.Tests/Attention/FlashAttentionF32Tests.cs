using System.Runtime.Intrinsics;
using Nabla.NN;
using Nabla.Ops;

namespace Nabla.Tests.Attention;

/// <summary>
/// The float32 AVX-512 forward (<c>FlashAttentionF32</c>: transposed tiles, 8×32 micro-kernels, vectorised online
/// softmax) against the composite form in float64 on the very same (float32-representable) inputs: the composite
/// holds the whole L×S matrix and an ordinary softmax, so it shares none of the kernel's code. The sizes hit every
/// branch: query blocks with a tail (L % 64), key blocks with a tail and fewer than 8 keys left (the one-key kernel),
/// head sizes that are odd or not a multiple of 8 (the one-column kernel), causal tiles with L ≠ S in both directions
/// (the diagonal then falls inside a tile, not on its corner), masks read through broadcast strides, and a query that
/// sees no key. Gradients go through the kernel's backward, which reads the forward's log-sum-exp.
/// </summary>
public class FlashAttentionF32Tests
{
    public static TheoryData<int, int, int, int, string> Cases => new()
    {
        { 256, 256, 32, 32, "causal" },     // the benchmark's shape: four full blocks, all on the diagonal path
        { 150, 133, 7, 19, "causal" },      // tails everywhere: 22 query rows, 5 keys, E odd, Ev = 8 + 8 + 3
        { 100, 200, 16, 5, "causal" },      // L < S: keys past the last query are never visited
        { 200, 70, 33, 8, "causal" },       // L > S: the last query blocks see all keys
        { 130, 67, 12, 24, "plain" },
        { 90, 77, 9, 11, "float_mask" },    // (2, 1, L, S): a different mask per batch row, shared over heads
        { 70, 129, 8, 16, "key_mask" },     // (1, 1, 1, S) bool: a key padding mask, row stride 0
        { 65, 3, 4, 1, "bool_mask" },       // S < 8; query 5 sees no key
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32_kernel_matches_float64_composite(int l, int s, int e, int ev, string variant)
    {
        var g = new Generator(17);
        var q = Tensor.Randn(new Shape(2, 3, l, e), g).RequireGrad();
        var k = Tensor.Randn(new Shape(2, 3, s, e), g).RequireGrad();
        var v = Tensor.Randn(new Shape(2, 3, s, ev), g).RequireGrad();
        var mask = Mask(variant, l, s, g);
        bool causal = variant == "causal";
        double scale = 0.7 / Math.Sqrt(e);

        var y = new ScaledDotProductAttentionOp(scale, causal).Apply(q, k, v, mask);
        var (q64, k64, v64) = (Cast(q), Cast(k), Cast(v));
        var reference = ScaledDotProductAttentionOp.Composite(q64, k64, v64, mask?.To(DType.Float64), scale, causal);
        Expect.AllClose(reference.ToDoubleArray(), y, 2e-6, 2e-5);

        // Without a gradient to compute, the kernel skips the log-sum-exp: the output is the same to the bit.
        using (GradMode.NoGrad())
        {
            Assert.Equal(y.ToDoubleArray(), new ScaledDotProductAttentionOp(scale, causal).Apply(q, k, v, mask).ToDoubleArray());
        }

        var dy = Tensor.Randn(y.Shape, g);
        var grads = Autograd.Grad([y], [q, k, v], [dy]);
        var expected = Autograd.Grad([reference], [q64, k64, v64], [dy.To(DType.Float64)]);
        for (int i = 0; i < 3; i++)
        {
            Expect.AllClose(expected[i]!.ToDoubleArray(), grads[i]!, 2e-5, 2e-4);
        }

        if (variant == "bool_mask")
        {
            Assert.All(y.Narrow(2, 5, 1).ToDoubleArray(), x => Assert.Equal(0.0, x));
        }
    }

    [Fact]
    public void Runs_the_vector_kernel_here()
    {
        // The tests above check whichever forward runs; this one says which: on machines with AVX-512 (this project's
        // CI and benchmark machines) it is the float32 kernel, elsewhere the generic one.
        Assert.Equal(Vector512.IsHardwareAccelerated, Nabla.Ops.Kernels.FlashAttentionF32.Applies<float>(new(1, 1, 1, 1, 1, 1, false, 0, 0)));
        Assert.False(Nabla.Ops.Kernels.FlashAttentionF32.Applies<float>(new(1, 1, 1, 1, 1, 1, false, 0.1, 0)));
        Assert.False(Nabla.Ops.Kernels.FlashAttentionF32.Applies<double>(new(1, 1, 1, 1, 1, 1, false, 0, 0)));
    }

    private static Tensor Cast(Tensor t) => t.Detach().To(DType.Float64).RequireGrad();

    // Additive float32 masks (a bool mask as 0 / −∞, as F.ScaledDotProductAttention passes it to the op).
    private static Tensor? Mask(string variant, int l, int s, Generator g) => variant switch
    {
        "float_mask" => Tensor.Randn(new Shape(2, 1, l, s), g) * 2,
        "key_mask" => Additive(Tensor.FromArray(Enumerable.Range(0, s).Select(j => j % 5 != 3).ToArray(), new Shape(1, 1, 1, s))),
        "bool_mask" => Additive(Tensor.FromArray(Enumerable.Range(0, l * s).Select(t => t / s != 5 && t % 3 != 1).ToArray(), new Shape(l, s))),
        _ => null,
    };

    private static Tensor Additive(Tensor keep) => Tensor.Where(keep, Tensor.Scalar(0, DType.Float32), Tensor.Scalar(double.NegativeInfinity, DType.Float32));
}

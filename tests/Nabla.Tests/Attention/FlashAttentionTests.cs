using Nabla.NN;
using Nabla.Ops;

namespace Nabla.Tests.Attention;

/// <summary>
/// The fused attention kernel on sequences of several key and query blocks (the op database's samples fit in one
/// tile), against the composite form in primitive ops, which holds the whole L×S matrix and an ordinary softmax.
/// </summary>
public class FlashAttentionTests
{
    // L = 150, S = 133: three query blocks and three key blocks, the last ones partial.
    private const int L = 150, S = 133, E = 8, Ev = 5;

    public static TheoryData<string> Variants => new() { "plain", "causal", "bool_mask", "float_mask", "dropout", "causal_dropout" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Kernel_matches_composite_over_several_blocks(string variant)
    {
        var g = new Generator(7);
        var q = Tensor.Randn(new Shape(2, 3, L, E), g, DType.Float64).RequireGrad();
        var k = Tensor.Randn(new Shape(2, 3, S, E), g, DType.Float64).RequireGrad();
        var v = Tensor.Randn(new Shape(2, 3, S, Ev), g, DType.Float64).RequireGrad();
        Tensor? mask = variant switch
        {
            // (L, S) with every key of query 5 masked out: that row's output and gradients are 0.
            "bool_mask" => BoolMask(g, 5),
            "float_mask" => Tensor.Randn(new Shape(2, 1, L, S), g, DType.Float64) * 3,
            _ => null,
        };
        bool causal = variant.StartsWith("causal", StringComparison.Ordinal);
        double p = variant.EndsWith("dropout", StringComparison.Ordinal) ? 0.3 : 0;
        var additive = mask is null ? null : mask.DType == DType.Bool
            ? Tensor.Where(mask, Tensor.Scalar(0), Tensor.Scalar(double.NegativeInfinity)) : mask;

        var fused = new ScaledDotProductAttentionOp(0.4, causal, p, 99).Apply(q, k, v, additive);
        var reference = ScaledDotProductAttentionOp.Composite(q, k, v, additive, 0.4, causal, p, 99);
        Expect.AllClose(reference.ToDoubleArray(), fused, 1e-12, 1e-10);

        var dy = Tensor.Randn(fused.Shape, g, DType.Float64);
        var gf = Autograd.Grad([fused], [q, k, v], [dy]);
        var gr = Autograd.Grad([reference], [q, k, v], [dy]);
        for (int i = 0; i < 3; i++)
        {
            Expect.AllClose(gr[i]!.ToDoubleArray(), gf[i]!, 1e-11, 1e-9);
        }

        if (variant == "bool_mask")
        {
            Assert.All(fused.Narrow(2, 5, 1).ToDoubleArray(), x => Assert.Equal(0.0, x));
            Assert.All(gf[0]!.Narrow(2, 5, 1).ToDoubleArray(), x => Assert.Equal(0.0, x));
        }
    }

    // Each key takes part with probability 0.7, except for query `empty`, which sees none.
    private static Tensor BoolMask(Generator g, int empty)
    {
        var m = new bool[L * S];
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = g.NextDouble() < 0.7 && i / S != empty;
        }

        return Tensor.FromArray(m, new Shape(L, S));
    }

    [Fact]
    public void Float32_kernel_agrees_with_float64()
    {
        var g = new Generator(3);
        var (q, k, v) = (Tensor.Randn(new Shape(2, L, E), g, DType.Float64), Tensor.Randn(new Shape(2, S, E), g, DType.Float64), Tensor.Randn(new Shape(2, S, Ev), g, DType.Float64));
        var y64 = F.ScaledDotProductAttention(q, k, v, isCausal: true);
        var y32 = F.ScaledDotProductAttention(q.To(DType.Float32), k.To(DType.Float32), v.To(DType.Float32), isCausal: true);
        Expect.AllClose(y64.ToDoubleArray(), y32, 1e-5, 1e-4);
    }

    [Fact]
    public void Dropout_drops_its_share_and_keeps_the_expectation()
    {
        // With v = 1 every row of softmax weights sums to 1, so without dropout o = 1 exactly; with dropout each weight
        // is kept with probability 1 − p and scaled by 1/(1 − p): o averages 1 and about p of the weights are zero.
        var g = new Generator(11);
        var q = Tensor.Zeros(new Shape(1, 256, 4), DType.Float64);
        var k = Tensor.Zeros(new Shape(1, 256, 4), DType.Float64);
        var v = Tensor.Ones(new Shape(1, 256, 1), DType.Float64);
        Expect.AllClose(Enumerable.Repeat(1.0, 256).ToArray(), F.ScaledDotProductAttention(q, k, v), 1e-12, 0);
        var o = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.25, generator: g).ToDoubleArray();
        Expect.Close(1, o.Average(), 0.01, 0);
        var factors = ScaledDotProductAttentionOp.DropoutFactors(new Shape(1, 256, 256), DType.Float64, 0.25, 5).ToDoubleArray();
        Expect.Close(0.25, factors.Count(x => x == 0) / (double)factors.Length, 0.01, 0);
        Assert.NotEqual(o, F.ScaledDotProductAttention(q, k, v, dropoutP: 0.25, generator: g).ToDoubleArray());
    }

    [Fact]
    public void Zero_size_sequences()
    {
        // No keys: every query takes part in nothing, so its output is 0 (safe softmax) and q gets a zero gradient.
        var q = Tensor.Ones(new Shape(2, 3, 4), DType.Float64).RequireGrad();
        var y = F.ScaledDotProductAttention(q, Tensor.Zeros(new Shape(2, 0, 4), DType.Float64), Tensor.Zeros(new Shape(2, 0, 5), DType.Float64));
        Assert.Equal(new Shape(2, 3, 5), y.Shape);
        Assert.All(y.ToDoubleArray(), x => Assert.Equal(0.0, x));
        y.Sum().Backward();
        Assert.All(q.Grad!.ToDoubleArray(), x => Assert.Equal(0.0, x));

        // No queries: an empty output.
        var empty = F.ScaledDotProductAttention(Tensor.Zeros(new Shape(2, 0, 4)), Tensor.Zeros(new Shape(2, 3, 4)), Tensor.Zeros(new Shape(2, 3, 5)));
        Assert.Equal(new Shape(2, 0, 5), empty.Shape);
    }

    [Fact]
    public void Refuses_what_it_cannot_do()
    {
        var q = Tensor.Zeros(new Shape(2, 3, 4));
        var k = Tensor.Zeros(new Shape(2, 5, 4));
        var v = Tensor.Zeros(new Shape(2, 5, 6));
        var mask = Tensor.Ones(new Shape(3, 5)).Gt(0);
        Assert.Contains("is_causal", Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, mask, isCausal: true)).Message);
        Assert.Contains("does not broadcast", Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Ones(new Shape(3, 4)).Gt(0))).Message);
        Assert.Contains("dtype", Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Ones(new Shape(3, 5), DType.Float64))).Message);
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros(new Shape(2, 5, 3)), v));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, Tensor.Zeros(new Shape(2, 4, 6))));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.ScaledDotProductAttention(q, k, v, dropoutP: 1.5));
    }
}

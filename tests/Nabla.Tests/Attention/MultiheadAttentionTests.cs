using Nabla.NN;

namespace Nabla.Tests.Attention;

/// <summary>
/// MultiheadAttention beyond the PyTorch goldens: initialisation, parameter names, unbatched inputs, the is_causal hint,
/// dropout, a hand-computed one-head case, and the arguments it refuses.
/// </summary>
public class MultiheadAttentionTests
{
    [Fact]
    public void Initialises_as_pytorch()
    {
        var m = new MultiheadAttention(8, 2, generator: new Generator(1));
        Assert.Equal(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], m.NamedParameters().Select(p => p.Name));

        // Xavier-uniform on (24, 8): bound √(6/(fan_in + fan_out)) = √(6/32); out_proj as a Linear: bound 1/√8.
        double xavier = Math.Sqrt(6.0 / 32), linear = 1 / Math.Sqrt(8);
        var w = m.InProjWeight!.ToDoubleArray();
        Assert.All(w, x => Assert.InRange(Math.Abs(x), 0, xavier));
        Assert.True(w.Max(Math.Abs) > 0.8 * xavier, "the in_proj values should spread over the Xavier range");
        Assert.All(m.OutProj.Weight.ToDoubleArray(), x => Assert.InRange(Math.Abs(x), 0, linear));
        Assert.All(m.InProjBias!.ToDoubleArray(), x => Assert.Equal(0.0, x));
        Assert.All(m.OutProj.Bias!.ToDoubleArray(), x => Assert.Equal(0.0, x));

        var separate = new MultiheadAttention(8, 2, bias: false, kdim: 3, vdim: 5);
        Assert.Equal(["q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"], separate.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(8, 3), separate.KProjWeight!.Shape);
        Assert.Equal(new Shape(8, 5), separate.VProjWeight!.Shape);
    }

    [Fact]
    public void One_head_by_hand()
    {
        // E = 1, one head, all projections the identity and no bias: q = 1, keys 0 and ln 3 (scale 1/√1):
        // weights softmax(0, ln 3) = (1/4, 3/4), output 1/4·2 + 3/4·6 = 5.
        var m = new MultiheadAttention(1, 1, bias: false, dtype: DType.Float64);
        Expect.Set(m.InProjWeight!, Tensor.Ones(new Shape(3, 1), DType.Float64));
        Expect.Set(m.OutProj.Weight, Tensor.Ones(new Shape(1, 1), DType.Float64));
        var q = Tensor.FromArray(new[] { 1.0 }, new Shape(1, 1));
        var k = Tensor.FromArray(new[] { 0.0, Math.Log(3) }, new Shape(2, 1));
        var v = Tensor.FromArray(new[] { 2.0, 6.0 }, new Shape(2, 1));
        var (y, w) = m.Forward(q, k, v);
        Expect.AllClose([5.0], y, 1e-12, 0);
        Expect.AllClose([0.25, 0.75], w!, 1e-12, 0);

        // Padding out the second key leaves only the first: output 2.
        var (yp, _) = m.Forward(q, k, v, Tensor.FromArray(new[] { false, true }, new Shape(2)));
        Expect.AllClose([2.0], yp, 1e-12, 0);
    }

    [Fact]
    public void Unbatched_input_matches_a_batch_of_one()
    {
        var g = new Generator(2);
        var m = new MultiheadAttention(6, 3, generator: g, dtype: DType.Float64);
        var (q, kv) = (Tensor.Randn(new Shape(4, 6), g, DType.Float64), Tensor.Randn(new Shape(5, 6), g, DType.Float64));
        var mask = Tensor.Rand(new Shape(3, 4, 5), g, DType.Float64) * -2; // per-head float mask (N·h = 3)
        var (y, w) = m.Forward(q, kv, kv, attnMask: mask, averageAttnWeights: false);
        var (yb, wb) = m.Forward(q.Unsqueeze(1), kv.Unsqueeze(1), kv.Unsqueeze(1), attnMask: mask, averageAttnWeights: false);
        Assert.Equal(new Shape(4, 6), y.Shape);
        Assert.Equal(new Shape(3, 4, 5), w!.Shape);
        Expect.AllClose(yb.Squeeze(1).ToDoubleArray(), y, 1e-12, 0);
        Expect.AllClose(wb!.Squeeze(0).ToDoubleArray(), w, 1e-12, 0);
        Expect.AllClose(Enumerable.Repeat(1.0, 12).ToArray(), w.Sum(-1), 1e-12, 0); // each head's weights sum to 1
    }

    [Fact]
    public void Causal_hint_without_weights_runs_the_causal_kernel()
    {
        // PyTorch ignores the mask and runs causal attention when is_causal is set, no key_padding_mask is given and no
        // weights are asked for; with the causal mask itself both paths agree.
        var g = new Generator(3);
        var m = new MultiheadAttention(4, 2, batchFirst: true, generator: g, dtype: DType.Float64);
        var x = Tensor.Randn(new Shape(2, 5, 4), g, DType.Float64);
        var causal = Tensor.FromArray(Enumerable.Range(0, 25).Select(t => t % 5 > t / 5).ToArray(), new Shape(5, 5)); // true above the diagonal
        var (hinted, none) = m.Forward(x, x, x, needWeights: false, attnMask: causal, isCausal: true);
        var (masked, _) = m.Forward(x, x, x, needWeights: true, attnMask: causal);
        Assert.Null(none);
        Expect.AllClose(masked.ToDoubleArray(), hinted, 1e-12, 1e-12);
        Assert.NotEqual(masked.ToDoubleArray()[0], m.Forward(x).ToDoubleArray()[0], 6); // full self-attention differs
        Assert.Throws<ArgumentException>(() => m.Forward(x, x, x, isCausal: true));
    }

    [Fact]
    public void Dropout_only_in_training()
    {
        var g = new Generator(4);
        var m = new MultiheadAttention(4, 2, dropout: 0.5, generator: g, dtype: DType.Float64);
        var x = Tensor.Randn(new Shape(6, 2, 4), g, DType.Float64);
        m.Eval();
        var (e1, _) = m.Forward(x, x, x);
        var (e2, _) = m.Forward(x, x, x, needWeights: false);
        Expect.AllClose(e1.ToDoubleArray(), e2, 1e-12, 1e-12);
        m.Train();
        var (t1, w) = m.Forward(x, x, x, averageAttnWeights: false);
        Assert.Contains(0.0, w!.ToDoubleArray()); // dropped weights
        Assert.NotEqual(e1.ToDoubleArray(), t1.ToDoubleArray());
    }

    [Fact]
    public void Refuses_what_it_does_not_do()
    {
        Assert.Contains("add_bias_kv", Assert.Throws<NotSupportedException>(() => new MultiheadAttention(4, 2, addBiasKv: true)).Message);
        Assert.Throws<NotSupportedException>(() => new MultiheadAttention(4, 2, addZeroAttn: true));
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => new MultiheadAttention(6, 4)).Message);
        var m = new MultiheadAttention(4, 2);
        var x = Tensor.Zeros(new Shape(3, 2, 4));
        Assert.Contains("attn_mask", Assert.Throws<ArgumentException>(() => m.Forward(x, x, x, attnMask: Tensor.Zeros(new Shape(2, 3)))).Message);
        Assert.Contains("key_padding_mask", Assert.Throws<ArgumentException>(() => m.Forward(x, x, x, Tensor.Zeros(new Shape(3, 2)))).Message);
        Assert.Throws<ArgumentException>(() => m.Forward(x, x, Tensor.Zeros(new Shape(3, 2, 5))));
        Assert.Throws<ArgumentException>(() => m.Forward(x, Tensor.Zeros(new Shape(3, 1, 4)), Tensor.Zeros(new Shape(3, 1, 4))));
    }
}

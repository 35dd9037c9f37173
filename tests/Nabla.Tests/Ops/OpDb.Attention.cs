using Fn = Nabla.NN.F;
using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// Scaled dot-product attention (Note [Fused attention] in Ops/Attention.cs) through Fn.ScaledDotProductAttention against
// a naive double loop over the definition: o_i = Σ_j softmax_j(scale·q_i·k_j + mask_ij)·v_j, rows of all −∞ giving 0.
internal static partial class OpDb
{
    private static IEnumerable<OpCase> AttentionCases()
    {
        // q (B, L, E), k (B, S, E), v (B, S, Ev): B = 2, L = 3, S = 4, E = 2, Ev = 3; a batch-broadcast and a
        // transposed-key sample too.
        Arg[][] samples =
        [
            S(X(2, 3, 2), X(2, 4, 2), X(2, 4, 3)),
            S(X(2, 3, 2), X(1, 4, 2), Xt(1, 4, 3)),
        ];
        yield return new OpCase("scaled_dot_product_attention", xs => Fn.ScaledDotProductAttention(xs[0], xs[1], xs[2]),
            rs => AttentionRef(rs[0], rs[1], rs[2], null, false, null), samples);
        yield return new OpCase("scaled_dot_product_attention_causal_scale", xs => Fn.ScaledDotProductAttention(xs[0], xs[1], xs[2], isCausal: true, scale: 0.3),
            rs => AttentionRef(rs[0], rs[1], rs[2], null, true, 0.3), samples);

        // A Bool mask (L, S) broadcast over the batch; its last row keeps no key (that query's output is 0).
        var boolMask = new I([3, 4], 2) { Values = [1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0] };
        yield return new OpCase("scaled_dot_product_attention_bool_mask",
            xs => Fn.ScaledDotProductAttention(xs[0], xs[1], xs[2], xs[3].Ne(0.0)),
            rs => AttentionRef(rs[0], rs[1], rs[2], rs[3], false, null, isBool: true), [[.. samples[0], boolMask]]);

        // A float mask (B, 1, S) that needs a gradient (the composite path), and a constant one (the fused kernel).
        yield return new OpCase("scaled_dot_product_attention_float_mask",
            xs => Fn.ScaledDotProductAttention(xs[0], xs[1], xs[2], xs[3]),
            rs => AttentionRef(rs[0], rs[1], rs[2], rs[3], false, null), [[.. samples[0], X(2, 1, 4)]]);
        yield return new OpCase("scaled_dot_product_attention_const_mask",
            xs => Fn.ScaledDotProductAttention(xs[0], xs[1], xs[2], ConstMask(xs[0].DType)),
            rs => AttentionRef(rs[0], rs[1], rs[2], R.Of(ConstMask(DType.Float64)), false, null), samples);
    }

    // (L, S) = (3, 4) additive mask with one −∞.
    private static Tensor ConstMask(DType dtype) =>
        Tensor.FromArray(new[] { 0.5, -1, double.NegativeInfinity, 0, 0.25, 0, 1, -0.5, 0, 2, -2, 0.75 }, new Shape(3, 4)).To(dtype);

    private static R AttentionRef(R q, R k, R v, R? mask, bool causal, double? scale, bool isBool = false)
    {
        int batch = q.Shape[0], l = q.Shape[1], e = q.Shape[2], s = k.Shape[1], ev = v.Shape[2];
        double sc = scale ?? 1 / Math.Sqrt(e);
        var o = R.Zeros([batch, l, ev]);
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < l; i++)
            {
                var logits = new double[s];
                for (int j = 0; j < s; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < e; c++)
                    {
                        dot += q.AtBroadcast([b, i, c]) * k.AtBroadcast([b, j, c]);
                    }

                    double m = mask is null ? 0 : mask.AtBroadcast([b, i, j]);
                    logits[j] = (causal && j > i) || (isBool && m == 0) ? double.NegativeInfinity : (dot * sc) + (isBool ? 0 : m);
                }

                double max = logits.Max();
                if (double.IsNegativeInfinity(max))
                {
                    continue; // no key takes part: o_i = 0
                }

                var w = logits.Select(x => Math.Exp(x - max)).ToArray();
                double sum = w.Sum();
                for (int c = 0; c < ev; c++)
                {
                    o[[b, i, c]] = Enumerable.Range(0, s).Sum(j => w[j] / sum * v.AtBroadcast([b, j, c]));
                }
            }
        }

        return o;
    }
}

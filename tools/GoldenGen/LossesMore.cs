using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;
using R = TorchSharp.torch.nn.Reduction;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>
/// The losses of issue 16 (margin, embedding, likelihood, CTC) and the distances: loss values and the gradients of
/// every float input, for each reduction.
/// </summary>
/// <remarks>
/// Tensor keys: the named inputs, <c>loss</c>, <c>grad_NAME</c> per differentiable input, and <c>upstream</c> g for
/// a non-scalar result (the gradients are then those of sum(loss·g)).
/// </remarks>
public static class LossesMore
{
    private static readonly (string Name, R R)[] Reductions = [("none", R.None), ("mean", R.Mean), ("sum", R.Sum)];

    public static List<Case> All()
    {
        using var scope = torch.NewDisposeScope();
        var cases = new List<Case>();
        Margin(cases);
        Embedding(cases);
        Likelihood(cases);
        Ctc(cases);
        Distances(cases);
        return cases;
    }

    private static void Margin(List<Case> cases)
    {
        // Margin ranking: one pair with x1 = x2 at margin 0 sits exactly on the hinge (clamp_min passes the gradient).
        var x1 = Randn(301, 8);
        var x2 = Randn(302, 8);
        x2[0] = x1[0].clone();
        var y = Sign(303, 8);
        foreach (var (rn, r) in Reductions)
        {
            foreach (var m in new[] { 0.0, 0.5 })
            {
                cases.Add(Make($"margin_ranking_m{m}_{rn}", "margin_ranking", rn, new() { ["margin"] = m },
                    [("input1", x1, true), ("input2", x2, true), ("target", y, false)],
                    t => TF.margin_ranking_loss(t[0], t[1], t[2], m, r)));
            }
        }

        // Hinge embedding; targets ±1.
        var h = Randn(304, 4, 5) * 1.5;
        var hy = Sign(305, 4, 5);
        foreach (var (rn, r) in Reductions)
        {
            foreach (var m in new[] { 1.0, 0.5 })
            {
                cases.Add(Make($"hinge_embedding_m{m}_{rn}", "hinge_embedding", rn, new() { ["margin"] = m },
                    [("input", h, true), ("target", hy, false)], t => TF.hinge_embedding_loss(t[0], t[1], m, r)));
            }
        }

        // Multi-label soft margin (soft targets in one row, one exact zero logit) and multi-class margin.
        var ml = Randn(306, 4, 5) * 2;
        ml[0, 0] = 0.0;
        var mt = (Rand(307, 4, 5) > 0.5).to_type(float64);
        mt[3] = Rand(308, 5);
        var mw = Rand(309, 5) + 0.5;
        var mm = Randn(310, 6, 4);
        var mc = torch.tensor(new long[] { 0, 3, 1, 1, 2, 0 });
        var mmw = torch.tensor(new double[] { 0.5, 2.0, 1.0, 1.5 });
        var mm1 = Randn(311, 5);
        var mc1 = torch.tensor(2L);
        foreach (var (rn, r) in Reductions)
        {
            cases.Add(Make($"multilabel_soft_margin_{rn}", "multilabel_soft_margin", rn, [],
                [("input", ml, true), ("target", mt, false)], t => TF.multilabel_soft_margin_loss(t[0], t[1], null, r)));
            cases.Add(Make($"multilabel_soft_margin_weight_{rn}", "multilabel_soft_margin", rn, [],
                [("input", ml, true), ("target", mt, false), ("weight", mw, false)], t => TF.multilabel_soft_margin_loss(t[0], t[1], t[2], r)));
            foreach (var (p, m) in new[] { (1, 1.0), (2, 1.0), (1, 0.5), (2, 0.7) })
            {
                var args = new Dictionary<string, double> { ["p"] = p, ["margin"] = m };
                cases.Add(Make($"multi_margin_p{p}_m{m}_{rn}", "multi_margin", rn, args,
                    [("input", mm, true), ("target", mc, false)], t => TF.multi_margin_loss(t[0], t[1], p, m, null, r)));
                cases.Add(Make($"multi_margin_weight_p{p}_m{m}_{rn}", "multi_margin", rn, args,
                    [("input", mm, true), ("target", mc, false), ("weight", mmw, false)], t => TF.multi_margin_loss(t[0], t[1], p, m, t[2], r)));
            }

            cases.Add(Make($"multi_margin_1d_{rn}", "multi_margin", rn, [],
                [("input", mm1, true), ("target", mc1, false)], t => TF.multi_margin_loss(t[0], t[1], 1, 1.0, null, r)));
        }

        // BCE with logits at exact zeros (slope σ(0) − y = ½ − y there), with hard and soft targets and pos_weight.
        var z = Randn(314, 3, 4) * 2;
        z[0] = torch.zeros(4, dtype: float64);
        z[1, 1] = 0.0;
        var zt = Rand(315, 3, 4);
        zt[0, 0] = 0.0;
        zt[0, 1] = 1.0;
        var zpw = Rand(316, 4) * 2 + 0.5;
        foreach (var (rn, r) in Reductions)
        {
            cases.Add(Make($"bce_logits_zeros_{rn}", "bce_logits", rn, [], [("input", z, true), ("target", zt, false)],
                t => TF.binary_cross_entropy_with_logits(t[0], t[1], null, r)));
            cases.Add(Make($"bce_logits_zeros_posweight_{rn}", "bce_logits", rn, [], [("input", z, true), ("target", zt, false), ("pos_weight", zpw, false)],
                t => TF.binary_cross_entropy_with_logits(t[0], t[1], null, r, t[2])));
        }

        // Soft margin, with an exact zero input (the slope there is −y/2).
        var s = Randn(312, 4, 5) * 2;
        s[1, 1] = 0.0;
        var sy = Sign(313, 4, 5);
        foreach (var (rn, r) in Reductions)
        {
            cases.Add(Make($"soft_margin_{rn}", "soft_margin", rn, [], [("input", s, true), ("target", sy, false)], t => TF.soft_margin_loss(t[0], t[1], r)));
        }
    }

    private static void Embedding(List<Case> cases)
    {
        // Cosine embedding on (N, D) with target (N), and on (D) with a scalar target.
        var c1 = Randn(320, 6, 4);
        var c2 = Randn(321, 6, 4);
        var cy = Sign(322, 6);
        var d1 = Randn(323, 4);
        var d2 = Randn(324, 4);
        foreach (var (rn, r) in Reductions)
        {
            foreach (var m in new[] { 0.0, 0.3 })
            {
                cases.Add(Make($"cosine_embedding_m{m}_{rn}", "cosine_embedding", rn, new() { ["margin"] = m },
                    [("input1", c1, true), ("input2", c2, true), ("target", cy, false)], t => TF.cosine_embedding_loss(t[0], t[1], t[2], m, r)));
            }

            cases.Add(Make($"cosine_embedding_1d_{rn}", "cosine_embedding", rn, new() { ["margin"] = -0.5 },
                [("input1", d1, true), ("input2", d2, true), ("target", torch.tensor(-1.0), false)], t => TF.cosine_embedding_loss(t[0], t[1], t[2], -0.5, r)));
        }

        // Triplet margin: p = 1, 2, 3 through libtorch's kernel; p = 1.5 as ATen composes it (pairwise_distance,
        // minimum for the swap, clamp_min), TorchSharp's triplet_margin_loss taking an integer p.
        var a = Randn(325, 5, 4);
        var pos = a + Randn(326, 5, 4) * 0.7;
        var neg = Randn(327, 5, 4);
        foreach (var (rn, r) in Reductions)
        {
            foreach (var swap in new[] { false, true })
            {
                foreach (var (p, m) in new[] { (1L, 1.0), (2L, 1.0), (3L, 0.5), (2L, 2.0) })
                {
                    cases.Add(Make($"triplet_p{p}_m{m}_swap{(swap ? 1 : 0)}_{rn}", "triplet_margin", rn,
                        new() { ["p"] = p, ["margin"] = m, ["swap"] = swap ? 1 : 0 },
                        [("anchor", a, true), ("positive", pos, true), ("negative", neg, true)],
                        t => TF.triplet_margin_loss(t[0], t[1], t[2], m, p, 1e-6, swap, r)));
                }

                cases.Add(Make($"triplet_p1.5_eps0.01_swap{(swap ? 1 : 0)}_{rn}", "triplet_margin", rn,
                    new() { ["p"] = 1.5, ["margin"] = 1.0, ["eps"] = 0.01, ["swap"] = swap ? 1 : 0 },
                    [("anchor", a, true), ("positive", pos, true), ("negative", neg, true)],
                    t => Reduce(TripletComposite(t[0], t[1], t[2], 1.0, 1.5, 0.01, swap), rn)));
            }
        }
    }

    private static void Likelihood(List<Case> cases)
    {
        // Poisson: counts with zeros and ones (the Stirling mask y > 1); rates positive for log_input = false.
        var logRate = Randn(330, 4, 5);
        var rate = Rand(331, 4, 5) * 3 + 0.05;
        torch.manual_seed(332);
        var counts = torch.randint(0, 6, [4, 5], dtype: float64);
        counts[0, 0] = 0.0;
        counts[0, 1] = 1.0;
        double eps = (double)1e-8f; // TorchSharp passes eps as a float
        foreach (var (rn, r) in Reductions)
        {
            foreach (var logInput in new[] { true, false })
            {
                foreach (var full in new[] { false, true })
                {
                    var x = logInput ? logRate : rate;
                    var args = new Dictionary<string, double> { ["log_input"] = logInput ? 1 : 0, ["full"] = full ? 1 : 0, ["eps"] = eps };

                    // PyTorch's target gradient of the Stirling term is NaN at y = 0 (0·log 0): with full, only the input's.
                    cases.Add(Make($"poisson_log{(logInput ? 1 : 0)}_full{(full ? 1 : 0)}_{rn}", "poisson_nll", rn, args,
                        [("input", x, true), ("target", counts, !full)], t => TF.poisson_nll_loss(t[0], t[1], logInput, full, (float)eps, r)));
                }
            }

            // Positive non-integer targets: the Stirling term's gradient with respect to y too.
            var yPos = Rand(333, 4, 5) * 4 + 0.01;
            cases.Add(Make($"poisson_full_target_grad_{rn}", "poisson_nll", rn, new() { ["log_input"] = 1, ["full"] = 1, ["eps"] = eps },
                [("input", logRate, true), ("target", yPos, true)], t => TF.poisson_nll_loss(t[0], t[1], true, true, (float)eps, r)));
        }

        // Gaussian: PyTorch's Python gaussian_nll_loss (TorchSharp's own port sums over features and rejects equal
        // shapes), written in libtorch ops: heteroscedastic var, var without the last dim, var with a last dim of 1,
        // and a var entry below eps (clamped in value, not in gradient).
        var mu = Randn(340, 4, 3);
        var yt = Randn(341, 4, 3);
        var vFull = Rand(342, 4, 3) + 0.1;
        vFull[0, 0] = 1e-8;
        var vRow = Rand(343, 4) + 0.2;
        var vCol = Rand(344, 4, 1) + 0.2;
        foreach (var (rn, _) in Reductions)
        {
            foreach (var (vn, v) in new[] { ("full_shape", vFull), ("rows", vRow), ("rows1", vCol) })
            {
                foreach (var full in new[] { false, true })
                {
                    cases.Add(Make($"gaussian_{vn}_full{(full ? 1 : 0)}_{rn}", "gaussian_nll", rn, new() { ["full"] = full ? 1 : 0 },
                        [("input", mu, true), ("target", yt, true), ("var", v, true)], t => Reduce(GaussianNll(t[0], t[1], t[2], full, 1e-6), rn)));
                }
            }

            cases.Add(Make($"gaussian_eps0.3_{rn}", "gaussian_nll", rn, new() { ["eps"] = 0.3 },
                [("input", mu, true), ("target", yt, true), ("var", vFull, true)], t => Reduce(GaussianNll(t[0], t[1], t[2], false, 0.3), rn)));
        }
    }

    private static void Ctc(List<Case> cases)
    {
        // T = 6, N = 3, C = 4; targets with a repeated label (1, 1 needs a blank between), lengths below the maxima.
        var logits = Randn(350, 6, 3, 4) * 1.5;
        var padded = torch.tensor(new long[] { 1, 1, 2, 3, 2, 0, 2, 0, 0 }, [3, 3]);
        var concat = torch.tensor(new long[] { 1, 1, 2, 3, 2, 2 });
        var il = torch.tensor(new long[] { 6, 5, 4 });
        var tl = torch.tensor(new long[] { 3, 2, 1 });

        // blank = 3: labels from {0, 1, 2}.
        var paddedB3 = torch.tensor(new long[] { 0, 0, 1, 2, 1, 2, 1, 2, 2 }, [3, 3]);

        // Sample 1 cannot align (3 labels with a repeat need 4 steps, it has 3): infinite, zeroed by zero_infinity.
        var ilShort = torch.tensor(new long[] { 6, 3, 4 });
        var tlShort = torch.tensor(new long[] { 1, 3, 2 });
        var paddedShort = torch.tensor(new long[] { 2, 0, 0, 1, 1, 3, 3, 1, 0 }, [3, 3]);
        foreach (var (rn, r) in Reductions)
        {
            cases.Add(CtcCase($"ctc_padded_{rn}", rn, 0, false, logits, padded, il, tl, r));
            cases.Add(CtcCase($"ctc_concat_{rn}", rn, 0, false, logits, concat, il, tl, r));
            cases.Add(CtcCase($"ctc_blank3_{rn}", rn, 3, false, logits, paddedB3, il, tl, r));
            cases.Add(CtcCase($"ctc_zero_infinity_{rn}", rn, 0, true, logits, paddedShort, ilShort, tlShort, r));
            cases.Add(CtcCase($"ctc_unbatched_{rn}", rn, 0, false, logits[.., 0, ..].clone(), torch.tensor(new long[] { 1, 1, 2 }),
                torch.tensor(6L), torch.tensor(3L), r));
        }
    }

    // The input is logits (T, N, C) run through log_softmax(2): there PyTorch's CTC gradient is the exact one. The
    // case also stores PyTorch's gradient with respect to the log-probabilities themselves (grad_log_probs_torch),
    // which adds exp(lp)·g (its kernel's formula assumes a log_softmax upstream).
    private static Case CtcCase(string name, string rn, long blank, bool zeroInf, Tensor logits, Tensor targets, Tensor il, Tensor tl, R r)
    {
        var c = Make(name, "ctc", rn, new() { ["blank"] = blank, ["zero_infinity"] = zeroInf ? 1 : 0 },
            [("input", logits, true), ("targets", targets, false), ("input_lengths", il, false), ("target_lengths", tl, false)],
            t => TF.ctc_loss(TF.log_softmax(t[0], -1), t[1], t[2], t[3], blank, zeroInf, r));
        using var scope = torch.NewDisposeScope();
        var lp = TF.log_softmax(logits, -1).detach().requires_grad_(true);
        var loss = TF.ctc_loss(lp, targets, il, tl, blank, zeroInf, r);
        var g = c.tensors.ContainsKey("upstream") ? Unpack(c.tensors["upstream"]) : torch.tensor(1.0);
        (loss * g).sum().backward();
        c.tensors["grad_log_probs_torch"] = Pack(lp.grad!);
        return c;
    }

    private static void Distances(List<Case> cases)
    {
        // Cosine similarity: same shapes; broadcast (1, D) against (N, D); dim 0; a zero row and a row whose norm
        // (0.05) is below eps = 0.1 (value clamped, gradient of the unclamped norm).
        var a = Randn(360, 4, 5);
        var b = Randn(361, 4, 5);
        var b1 = Randn(362, 1, 5);
        var small = a.clone();
        small[1] = torch.zeros(5, dtype: float64);
        small[2] = torch.tensor(new double[] { 0.03, -0.04, 0, 0, 0 });
        cases.Add(Make("cosine_similarity", "cosine_similarity", "", [], [("x1", a, true), ("x2", b, true)], t => TF.cosine_similarity(t[0], t[1], 1, 1e-8)));
        cases.Add(Make("cosine_similarity_broadcast", "cosine_similarity", "", [], [("x1", a, true), ("x2", b1, true)], t => TF.cosine_similarity(t[0], t[1], 1, 1e-8)));
        cases.Add(Make("cosine_similarity_dim0", "cosine_similarity", "", new() { ["dim"] = 0 }, [("x1", a, true), ("x2", b, true)], t => TF.cosine_similarity(t[0], t[1], 0, 1e-8)));
        cases.Add(Make("cosine_similarity_small_norms", "cosine_similarity", "", new() { ["eps"] = 0.1 }, [("x1", small, true), ("x2", b, true)], t => TF.cosine_similarity(t[0], t[1], 1, 0.1)));

        // Pairwise distance: p = 2, 1, 3, 0.5, keepdim, broadcasting.
        foreach (var p in new[] { 2.0, 1.0, 3.0, 0.5 })
        {
            cases.Add(Make($"pairwise_distance_p{p}", "pairwise_distance", "", new() { ["p"] = p }, [("x1", a, true), ("x2", b, true)], t => TF.pairwise_distance(t[0], t[1], p, 1e-6, false)));
        }

        cases.Add(Make("pairwise_distance_keepdim_eps", "pairwise_distance", "", new() { ["keepdim"] = 1, ["eps"] = 0.2 },
            [("x1", a, true), ("x2", b1, true)], t => TF.pairwise_distance(t[0], t[1], 2.0, 0.2, true)));
    }

    // ATen's triplet_margin_loss: pairwise distances, the swap as an element-wise minimum, then clamp_min(0).
    private static Tensor TripletComposite(Tensor a, Tensor p, Tensor n, double margin, double norm, double eps, bool swap)
    {
        var dPos = TF.pairwise_distance(a, p, norm, eps, false);
        var dNeg = TF.pairwise_distance(a, n, norm, eps, false);
        if (swap)
        {
            dNeg = torch.minimum(dNeg, TF.pairwise_distance(p, n, norm, eps, false));
        }

        return torch.clamp_min(margin + dPos - dNeg, 0);
    }

    // torch.nn.functional.gaussian_nll_loss (Python), step by step.
    private static Tensor GaussianNll(Tensor input, Tensor target, Tensor var, bool full, double eps)
    {
        if (!var.shape.SequenceEqual(input.shape) && var.shape.SequenceEqual(input.shape[..^1]))
        {
            var = var.unsqueeze(-1);
        }

        var v = var.clone();
        using (torch.no_grad())
        {
            v.clamp_(min: eps);
        }

        var loss = 0.5 * (torch.log(v) + (input - target).pow(2) / v);
        return full ? loss + 0.5 * Math.Log(2 * Math.PI) : loss;
    }

    private static Tensor Reduce(Tensor loss, string rn) => rn switch
    {
        "mean" => loss.mean(),
        "sum" => loss.sum(),
        _ => loss,
    };

    // ±1 targets as float64.
    private static Tensor Sign(int seed, params long[] shape) => (Rand(seed, shape) > 0.5).to_type(float64) * 2 - 1;

    private static Tensor Unpack(TensorJson t) => torch.tensor(t.data, t.shape, dtype: float64);

    private static Case Make(string name, string op, string reduction, Dictionary<string, double> args,
        (string Name, Tensor T, bool Grad)[] inputs, Func<Tensor[], Tensor> f)
    {
        using var scope = torch.NewDisposeScope();
        var c = new Case { name = name, op = op, mode = reduction, args = args };
        var xs = inputs.Select(i => i.Grad ? i.T.detach().clone().requires_grad_(true) : i.T).ToArray();
        foreach (var (n, t, _) in inputs)
        {
            c.tensors[n] = Pack(t);
        }

        var loss = f(xs);
        if (loss.dim() == 0)
        {
            loss.backward();
        }
        else
        {
            var g = Randn(399, loss.shape);
            c.tensors["upstream"] = Pack(g);
            (loss * g).sum().backward();
        }

        c.tensors["loss"] = Pack(loss);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].Grad)
            {
                c.tensors["grad_" + inputs[i].Name] = Pack(xs[i].grad!);
            }
        }

        return c;
    }
}

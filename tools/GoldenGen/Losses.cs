using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;
using R = TorchSharp.torch.nn.Reduction;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>Loss functions: value(s) and the gradient w.r.t. the input.</summary>
public static class Losses
{
    private static readonly (string Name, R R)[] Reductions = [("none", R.None), ("mean", R.Mean), ("sum", R.Sum)];

    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();

        // Regression losses; one exact tie (d = 0) checks the subgradient at 0.
        var x = Randn(1, 4, 5) * 2;
        var y = Randn(2, 4, 5);
        y[0, 0] = x[0, 0].clone();
        foreach (var (rn, r) in Reductions)
        {
            cases.Add(Make($"mse_{rn}", "mse", rn, [], x, y, (i, t) => TF.mse_loss(i, t, r)));
            cases.Add(Make($"l1_{rn}", "l1", rn, [], x, y, (i, t) => TF.l1_loss(i, t, r)));
            foreach (var beta in new[] { 1.0, 0.5, 0.0 })
            {
                cases.Add(Make($"smooth_l1_beta{beta}_{rn}", "smooth_l1", rn, new() { ["beta"] = beta }, x, y, (i, t) => TF.smooth_l1_loss(i, t, r, beta)));
            }

            foreach (var delta in new[] { 1.0, 2.0 })
            {
                cases.Add(Make($"huber_delta{delta}_{rn}", "huber", rn, new() { ["delta"] = delta }, x, y, (i, t) => TF.huber_loss(i, t, delta: delta, reduction: r)));
            }
        }

        // BCE on probabilities, with exact 0 and 1 (each against targets 0 and 1) to exercise the −100 log clamp.
        var p = Rand(3, 4, 5) * 0.98 + 0.01;
        var pt = (Rand(4, 4, 5) > 0.5).to_type(float64);
        p[0, 0] = 0.0; pt[0, 0] = 0.0;
        p[0, 1] = 0.0; pt[0, 1] = 1.0;
        p[0, 2] = 1.0; pt[0, 2] = 1.0;
        p[0, 3] = 1.0; pt[0, 3] = 0.0;
        pt[3] = Rand(5, 5); // one row of soft targets
        var bw = Rand(6, 5) + 0.5;
        foreach (var (rn, r) in Reductions)
        {
            cases.Add(Make($"bce_{rn}", "bce", rn, [], p, pt, (i, t) => TF.binary_cross_entropy(i, t, null, r)));
            cases.Add(Make($"bce_weight_{rn}", "bce", rn, [], p, pt, (i, t) => TF.binary_cross_entropy(i, t, bw, r), ("weight", bw)));
        }

        // BCE with logits.
        var z = Randn(7, 4, 5) * 3;
        var zt = (Rand(8, 4, 5) > 0.5).to_type(float64);
        zt[3] = Rand(9, 5);
        var pw = Rand(10, 5) * 3 + 0.2;
        var zw = Rand(11, 5) + 0.5;
        foreach (var (rn, r) in Reductions)
        {
            cases.Add(Make($"bce_logits_{rn}", "bce_logits", rn, [], z, zt, (i, t) => TF.binary_cross_entropy_with_logits(i, t, null, r)));
            cases.Add(Make($"bce_logits_posweight_{rn}", "bce_logits", rn, [], z, zt,
                (i, t) => TF.binary_cross_entropy_with_logits(i, t, null, r, pw), ("pos_weight", pw)));
            cases.Add(Make($"bce_logits_weight_{rn}", "bce_logits", rn, [], z, zt,
                (i, t) => TF.binary_cross_entropy_with_logits(i, t, zw, r), ("weight", zw)));
            cases.Add(Make($"bce_logits_weight_posweight_{rn}", "bce_logits", rn, [], z, zt,
                (i, t) => TF.binary_cross_entropy_with_logits(i, t, zw, r, pw), ("weight", zw), ("pos_weight", pw)));
        }

        // Cross-entropy and NLL. Six samples, four classes; class 2 appears twice (used as ignore_index).
        var logits = Randn(12, 6, 4) * 2;
        var cls = torch.tensor(new long[] { 0, 2, 3, 1, 2, 3 });
        var cw = torch.tensor(new double[] { 0.5, 2.0, 1.0, 1.5 });
        var probs = TF.softmax(Randn(13, 6, 4), 1);
        var logits3 = Randn(14, 3, 4, 5);
        torch.manual_seed(15);
        var cls3 = torch.randint(0, 4, [3, 5], dtype: int64);
        var logp = TF.log_softmax(logits, 1);
        var clsPad = torch.tensor(new long[] { 0, -100, 3, 1, -100, 3 }); // the default ignore_index, as used for padding
        var cls3Pad = cls3.clone();
        cls3Pad[0, 1] = -100;
        cls3Pad[2, 4] = -100;
        var cwIgnore2 = cw.clone();
        cwIgnore2[2] = 0.0;
        var logp3 = TF.log_softmax(logits3, 1);
        foreach (var (rn, r) in Reductions)
        {
            Dictionary<string, double> A(params (string, double)[] kv) => kv.ToDictionary(k => k.Item1, k => k.Item2);
            cases.Add(Make($"ce_{rn}", "cross_entropy", rn, [], logits, cls, (i, t) => TF.cross_entropy(i, t, reduction: r)));
            cases.Add(Make($"ce_weight_{rn}", "cross_entropy", rn, [], logits, cls, (i, t) => TF.cross_entropy(i, t, cw, reduction: r), ("weight", cw)));
            cases.Add(Make($"ce_ignore_{rn}", "cross_entropy", rn, A(("ignore_index", 2)), logits, cls, (i, t) => TF.cross_entropy(i, t, ignore_index: 2, reduction: r)));
            cases.Add(Make($"ce_weight_ignore_{rn}", "cross_entropy", rn, A(("ignore_index", 2)), logits, cls,
                (i, t) => TF.cross_entropy(i, t, cw, ignore_index: 2, reduction: r), ("weight", cw)));
            cases.Add(Make($"ce_smooth_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.1)), logits, cls,
                (i, t) => TF.cross_entropy(i, t, reduction: r, label_smoothing: 0.1)));
            cases.Add(Make($"ce_smooth_weight_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.1)), logits, cls,
                (i, t) => TF.cross_entropy(i, t, cw, reduction: r, label_smoothing: 0.1), ("weight", cw)));
            cases.Add(Make($"ce_smooth_weight_ignore_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.1), ("ignore_index", 2)), logits, cls,
                (i, t) => TF.cross_entropy(i, t, cw, ignore_index: 2, reduction: r, label_smoothing: 0.1), ("weight", cw)));
            cases.Add(Make($"ce_ignore_default_{rn}", "cross_entropy", rn, [], logits, clsPad, (i, t) => TF.cross_entropy(i, t, reduction: r)));
            cases.Add(Make($"ce_ignore_default_weight_smooth_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.1)), logits, clsPad,
                (i, t) => TF.cross_entropy(i, t, cw, reduction: r, label_smoothing: 0.1), ("weight", cw)));
            cases.Add(Make($"ce_3d_ignore_default_smooth_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.2)), logits3, cls3Pad,
                (i, t) => TF.cross_entropy(i, t, reduction: r, label_smoothing: 0.2)));
            cases.Add(Make($"ce_probs_weight_smooth_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.1)), logits, probs,
                (i, t) => TF.cross_entropy(i, t, cw, reduction: r, label_smoothing: 0.1), ("weight", cw)));
            cases.Add(Make($"ce_probs_{rn}", "cross_entropy", rn, [], logits, probs, (i, t) => TF.cross_entropy(i, t, reduction: r)));
            cases.Add(Make($"ce_probs_weight_{rn}", "cross_entropy", rn, [], logits, probs, (i, t) => TF.cross_entropy(i, t, cw, reduction: r), ("weight", cw)));
            cases.Add(Make($"ce_probs_smooth_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.1)), logits, probs,
                (i, t) => TF.cross_entropy(i, t, reduction: r, label_smoothing: 0.1)));
            cases.Add(Make($"ce_3d_{rn}", "cross_entropy", rn, [], logits3, cls3, (i, t) => TF.cross_entropy(i, t, reduction: r)));
            cases.Add(Make($"ce_3d_weight_smooth_{rn}", "cross_entropy", rn, A(("label_smoothing", 0.1)), logits3, cls3,
                (i, t) => TF.cross_entropy(i, t, cw, reduction: r, label_smoothing: 0.1), ("weight", cw)));

            cases.Add(Make($"nll_{rn}", "nll", rn, [], logp, cls, (i, t) => TF.nll_loss(i, t, reduction: r)));
            cases.Add(Make($"nll_weight_{rn}", "nll", rn, [], logp, cls, (i, t) => TF.nll_loss(i, t, cw, reduction: r), ("weight", cw)));
            // TorchSharp's nll_loss lacks ignore_index; for a valid class index k, ignore_index = k is exactly
            // weight[k] = 0 (the term and its weight drop out of the sum and of the mean's denominator).
            cases.Add(Make($"nll_weight_ignore_{rn}", "nll", rn, A(("ignore_index", 2)), logp, cls,
                (i, t) => TF.nll_loss(i, t, cwIgnore2, reduction: r), ("weight", cw)));
            cases.Add(Make($"nll_3d_{rn}", "nll", rn, [], logp3, cls3, (i, t) => TF.nll_loss(i, t, reduction: r)));
        }

        // KL divergence; input = log q. One zero target checks the y = 0 convention.
        var klIn = TF.log_softmax(Randn(16, 4, 5), 1);
        var klT = TF.softmax(Randn(17, 4, 5) * 2, 1);
        klT[1, 2] = 0.0;
        var klLogT = TF.log_softmax(Randn(18, 4, 5), 1);
        foreach (var (rn, r) in Reductions.Append(("batchmean", R.Sum)))
        {
            // PyTorch's 'batchmean' is the sum divided by input.size(0); TorchSharp's enum lacks it, so divide here.
            double div = rn == "batchmean" ? klIn.shape[0] : 1.0;
            cases.Add(Make($"kl_{rn}", "kl_div", rn, [], klIn, klT, (i, t) => TF.kl_div(i, t, false, r) / div));
            cases.Add(Make($"kl_logtarget_{rn}", "kl_div", rn, new() { ["log_target"] = 1 }, klIn, klLogT, (i, t) => TF.kl_div(i, t, true, r) / div));
        }

        return cases;
    }

    private static Case Make(string name, string op, string reduction, Dictionary<string, double> args, Tensor input, Tensor target,
        Func<Tensor, Tensor, Tensor> f, params (string Name, Tensor T)[] extra)
    {
        using var scope = torch.NewDisposeScope();
        var x = input.detach().clone().requires_grad_(true);
        var loss = f(x, target);
        var c = new Case { name = name, op = op, mode = reduction, args = args };
        c.tensors["input"] = Pack(input);
        c.tensors["target"] = Pack(target);
        foreach (var (n, t) in extra)
        {
            c.tensors[n] = Pack(t);
        }

        if (loss.dim() == 0)
        {
            loss.backward();
        }
        else
        {
            // Non-scalar losses: backward of sum(loss * g) for a fixed upstream gradient g.
            var g = Randn(99, loss.shape);
            c.tensors["upstream"] = Pack(g);
            (loss * g).sum().backward();
        }

        c.tensors["loss"] = Pack(loss);
        c.tensors["grad_input"] = Pack(x.grad!);
        return c;
    }
}

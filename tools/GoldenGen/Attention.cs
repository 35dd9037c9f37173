using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>
/// scaled_dot_product_attention (no mask, Bool mask, float mask, causal, custom scale) and nn.MultiheadAttention
/// (sequence-first and batch-first, key_padding_mask, Bool and float attn_mask, weights averaged and per head,
/// kdim/vdim, no weights): outputs, weights and the gradients of sum(out·g) (+ sum(weights·gw)) w.r.t. the inputs and
/// every parameter (<c>param.NAME</c>, <c>grad.NAME</c> by PyTorch's state-dict name). Bool masks are stored as int64.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 has no <c>scale</c> argument, no <c>batch_first</c> and no <c>average_attn_weights</c>: a custom
/// scale c runs sdpa(q·c·√E, k, v) (the same function of q); batch-first cases run the module on the transposed
/// inputs and store the batch-first layout; per-head weights are softmax(q_h·k_hᵀ/√d + mask) from the module's
/// parameters, checked here to average to the module's own weights.
/// </remarks>
public static class Attention
{
    public static List<Case> All()
    {
        var cases = new List<Case>
        {
            Sdpa("sdpa_plain", null, false, null),
            Sdpa("sdpa_bool_mask", "bool", false, null),
            Sdpa("sdpa_float_mask", "float", false, null),
            Sdpa("sdpa_causal", null, true, null),
            Sdpa("sdpa_scale", null, false, 0.7),
        };
        cases.Add(Mha("mha_seqfirst", false, null, null, true, true, 6, 6));
        cases.Add(Mha("mha_batchfirst", true, null, null, true, true, 6, 6));
        cases.Add(Mha("mha_key_padding_mask", true, "bool", null, true, true, 6, 6));
        cases.Add(Mha("mha_attn_mask_bool", false, null, "bool", true, true, 6, 6));
        cases.Add(Mha("mha_attn_mask_float", false, "bool", "float", true, true, 6, 6));
        cases.Add(Mha("mha_per_head", false, "bool", "bool", true, false, 6, 6));
        cases.Add(Mha("mha_kdim_vdim", true, "bool", null, true, true, 4, 4)); // libtorch's C++ module requires kdim = vdim
        cases.Add(Mha("mha_no_weights", false, "bool", "bool", false, true, 6, 6));
        return cases;
    }

    // (N, H, L, E) = (2, 2, 4, 3); S = 5, Ev = 4.
    private static Case Sdpa(string name, string? mask, bool causal, double? scale)
    {
        using var scope = torch.NewDisposeScope();
        var q = Randn(301, 2, 2, 4, 3);
        var k = Randn(302, 2, 2, 5, 3);
        var v = Randn(303, 2, 2, 5, 4);
        Tensor? m = mask switch
        {
            // Every query keeps at least one key (a row of all −∞ is NaN in some PyTorch paths).
            "bool" => Rand(304, 4, 5).lt(0.6).logical_or(torch.eye(4, 5, dtype: torch.@bool)),
            "float" => Randn(304, 2, 1, 4, 5),
            _ => null,
        };
        var (qi, ki, vi) = (q.clone().requires_grad_(true), k.clone().requires_grad_(true), v.clone().requires_grad_(true));
        var qs = scale is { } c ? qi * (c * Math.Sqrt(3)) : qi;
        var y = nn.functional.scaled_dot_product_attention(qs, ki, vi, m, 0, causal);
        var g = Randn(305, y.shape);
        (y * g).sum().backward();
        var cs = new Case { name = name, op = "sdpa", mode = mask ?? "none", args = new() { ["causal"] = causal ? 1 : 0 } };
        if (scale is { } s)
        {
            cs.args["scale"] = s;
        }

        cs.tensors["q"] = Pack(q);
        cs.tensors["k"] = Pack(k);
        cs.tensors["v"] = Pack(v);
        if (m is not null)
        {
            cs.tensors["mask"] = Pack(m.dtype == torch.@bool ? m.to_type(int64) : m);
        }

        cs.tensors["upstream"] = Pack(g);
        cs.tensors["output"] = Pack(y);
        cs.tensors["grad_q"] = Pack(qi.grad!);
        cs.tensors["grad_k"] = Pack(ki.grad!);
        cs.tensors["grad_v"] = Pack(vi.grad!);
        return cs;
    }

    // E = 6, H = 2, L = 4, S = 5, N = 3.
    private static Case Mha(string name, bool batchFirst, string? kpm, string? attnMask, bool needWeights, bool average, int kdim, int vdim)
    {
        const int E = 6, H = 2, L = 4, S = 5, N = 3;
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(400);
        var m = nn.MultiheadAttention(E, H, 0, true, false, false, kdim, vdim);
        m.to(float64);
        using (torch.no_grad())
        {
            int i = 0;
            foreach (var (_, p) in m.named_parameters())
            {
                p.copy_(Randn(410 + i++, p.shape) * 0.5); // non-zero biases, so that every parameter matters
            }
        }

        // Sequence-first values; batch-first cases store their transpose.
        var q = Randn(401, L, N, E);
        var k = Randn(402, S, N, kdim);
        var v = Randn(403, S, N, vdim);
        Tensor? pad = kpm switch
        {
            "bool" => torch.tensor(new[] { false, false, true, false, true, false, false, false, false, false, true, true, true, true, false }).reshape(N, S),
            "float" => Randn(404, N, S),
            _ => null,
        };
        Tensor? am = attnMask switch
        {
            // True = not allowed; the diagonal and the last key (the only one batch row 2's padding keeps) stay allowed,
            // so that no row is fully masked.
            "bool" => Rand(405, L, S).lt(0.4).logical_and(torch.eye(L, S, dtype: torch.@bool).logical_not()).logical_and(torch.arange(S).lt(S - 1)),
            "float" => Randn(405, L, S),
            _ => null,
        };
        var (qi, ki, vi) = (q.clone().requires_grad_(true), k.clone().requires_grad_(true), v.clone().requires_grad_(true));
        // libtorch's C++ module does not apply a Bool attn_mask as Python does (its weights then disagree with PerHead): give it the −∞/0 float mask that
        // Python's nn.MultiheadAttention makes of a Bool one (_canonical_mask); the Bool mask is what is stored.
        var amFloat = am is not null && am.dtype == torch.@bool ? torch.zeros(am.shape, dtype: float64).masked_fill(am, double.NegativeInfinity) : am;
        var (y, w) = m.forward(qi, ki, vi, pad, needWeights, amFloat);
        if (!average)
        {
            var heads = PerHead(m, qi, ki, pad, am, E, H, kdim == E && vdim == E);
            var diff = (heads.mean([1]) - w).abs().max().item<double>();
            if (diff > 1e-12)
            {
                throw new InvalidOperationException($"{name}: per-head weights do not average to the module's ({diff})");
            }

            w = heads;
        }

        var g = Randn(406, y.shape);
        var loss = (y * g).sum();
        Tensor? gw = null;
        if (needWeights)
        {
            gw = Randn(407, w!.shape);
            loss = loss + (w * gw).sum();
        }

        loss.backward();
        var c = new Case
        {
            name = name, op = "mha", mode = "",
            args = new() { ["embed_dim"] = E, ["num_heads"] = H, ["kdim"] = kdim, ["vdim"] = vdim, ["batch_first"] = batchFirst ? 1 : 0, ["need_weights"] = needWeights ? 1 : 0, ["average"] = average ? 1 : 0 },
        };
        Tensor Layout(Tensor t) => batchFirst ? t.transpose(0, 1) : t;
        c.tensors["query"] = Pack(Layout(q));
        c.tensors["key"] = Pack(Layout(k));
        c.tensors["value"] = Pack(Layout(v));
        c.tensors["upstream"] = Pack(Layout(g));
        c.tensors["output"] = Pack(Layout(y));
        c.tensors["grad_query"] = Pack(Layout(qi.grad!));
        c.tensors["grad_key"] = Pack(Layout(ki.grad!));
        c.tensors["grad_value"] = Pack(Layout(vi.grad!));
        if (pad is not null)
        {
            c.tensors["key_padding_mask"] = Pack(pad.dtype == torch.@bool ? pad.to_type(int64) : pad);
        }

        if (am is not null)
        {
            c.tensors["attn_mask"] = Pack(am.dtype == torch.@bool ? am.to_type(int64) : am);
        }

        if (needWeights)
        {
            c.tensors["weights"] = Pack(w!);
            c.tensors["upstream_weights"] = Pack(gw!);
        }

        foreach (var (pname, p) in m.named_parameters())
        {
            c.tensors["param." + pname] = Pack(p);
            c.tensors["grad." + pname] = Pack(p.grad!);
        }

        return c;
    }

    /// <summary>(N, H, L, S) softmax(q_h·k_hᵀ/√d + masks) from the module's projections (PyTorch's documented formula).</summary>
    private static Tensor PerHead(nn.Module m, Tensor query, Tensor key, Tensor? pad, Tensor? am, int e, int h, bool packed)
    {
        var ps = m.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var b = ps["in_proj_bias"];
        var wq = packed ? ps["in_proj_weight"].narrow(0, 0, e) : ps["q_proj_weight"];
        var wk = packed ? ps["in_proj_weight"].narrow(0, e, e) : ps["k_proj_weight"];
        var q = nn.functional.linear(query, wq, b.narrow(0, 0, e));
        var k = nn.functional.linear(key, wk, b.narrow(0, e, e));
        long l = q.shape[0], n = q.shape[1], s = k.shape[0], d = e / h;
        var qh = q.reshape(l, n, h, d).permute(1, 2, 0, 3);
        var kh = k.reshape(s, n, h, d).permute(1, 2, 0, 3);
        var logits = qh.matmul(kh.transpose(-2, -1)) / Math.Sqrt(d);
        if (am is not null)
        {
            logits = am.dtype == torch.@bool ? logits.masked_fill(am, double.NegativeInfinity) : logits + am;
        }

        if (pad is not null)
        {
            var p4 = pad.reshape(n, 1, 1, s);
            logits = pad.dtype == torch.@bool ? logits.masked_fill(p4, double.NegativeInfinity) : logits + p4;
        }

        return logits.softmax(-1);
    }
}

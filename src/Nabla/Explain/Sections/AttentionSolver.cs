using Nabla.Formats;
using Nabla.NN;
using Nabla.Ops;

namespace Nabla.Explain.Sections;

/// <summary>The shapes an attention head needs, checked when the exercise is read.</summary>
internal static class AttentionShapes
{
    public static void Check(AttentionSpec spec, YamlMapping m)
    {
        var i = spec.Inputs;
        foreach (var (key, value) in i)
        {
            if (value.Shape.Length != 2 || value.Shape.Contains(0))
            {
                throw new YamlException($"attention {key} is a matrix (rows of numbers), found shape [{string.Join(", ", value.Shape)}]", m[key] ?? value.Node);
            }
        }

        int[] Of(string k) => i[k].Shape;
        (int L, int S, int Dv) sizes;
        if (spec.Projects)
        {
            int dm = Of("X")[1];
            foreach (var w in new[] { "W_q", "W_k", "W_v" }.Where(w => Of(w)[0] != dm))
            {
                throw new YamlException($"attention {w} has {Of(w)[0]} rows but X has {dm} columns (Q = X·W_q)", m[w] ?? i[w].Node);
            }

            Require(Of("W_q")[1] == Of("W_k")[1], $"W_q and W_k need one number of columns (the key size d), found {Of("W_q")[1]} and {Of("W_k")[1]}", m["W_k"] ?? m);
            sizes = (Of("X")[0], Of("X")[0], Of("W_v")[1]);
        }
        else
        {
            Require(Of("Q")[1] == Of("K")[1], $"Q and K need one number of columns (the key size d), found {Of("Q")[1]} and {Of("K")[1]}", m["K"] ?? m);
            Require(Of("K")[0] == Of("V")[0], $"K and V need one row per key, found {Of("K")[0]} and {Of("V")[0]}", m["V"] ?? m);
            sizes = (Of("Q")[0], Of("K")[0], Of("V")[1]);
        }

        if (spec.UpstreamGrad is { } d)
        {
            Require(d.Shape.SequenceEqual([sizes.L, sizes.Dv]), $"attention dO is dL/dO, shaped like O: [{sizes.L}, {sizes.Dv}], found [{string.Join(", ", d.Shape)}]", m["dO"] ?? d.Node);
        }
    }

    private static void Require(bool ok, string problem, YamlNode at)
    {
        if (!ok)
        {
            throw new YamlException($"attention: {problem}", at);
        }
    }
}

/// <summary>Works one attention head with the engine (see <see cref="AttentionSection"/> for which number comes from where).</summary>
internal static class AttentionSolver
{
    public static AttentionResult Solve(AttentionSpec spec)
    {
        var leaves = spec.Inputs.ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.Values, new Shape(kv.Value.Shape)).RequireGrad(), StringComparer.Ordinal);
        var steps = new List<AttentionStep>();
        foreach (var (key, t) in leaves)
        {
            steps.Add(new AttentionStep(key, string.Empty, string.Empty, t.Detach(), [], false));
        }

        Tensor q, k, v;
        if (spec.Projects)
        {
            (q, k, v) = (leaves["X"].MatMul(leaves["W_q"]), leaves["X"].MatMul(leaves["W_k"]), leaves["X"].MatMul(leaves["W_v"]));
            steps.Add(new AttentionStep("Q", "X·W_q", "X W_q", q.Detach(), ["X", "W_q"], false));
            steps.Add(new AttentionStep("K", "X·W_k", "X W_k", k.Detach(), ["X", "W_k"], false));
            steps.Add(new AttentionStep("V", "X·W_v", "X W_v", v.Detach(), ["X", "W_v"], false));
        }
        else
        {
            (q, k, v) = (leaves["Q"], leaves["K"], leaves["V"]);
        }

        int d = q.Shape[-1];
        double scale = spec.Scale ?? 1 / Math.Sqrt(d);
        var o = F.ScaledDotProductAttention(q, k, v, isCausal: spec.Causal, scale: scale);
        var dO = spec.UpstreamGrad is { } g ? Tensor.FromArray(g.Values, new Shape(g.Shape)) : Tensor.OnesLike(o.Detach());
        var loss = (o * dO).Sum();
        Forward(steps, q.Detach(), k.Detach(), v.Detach(), o.Detach(), loss.Detach(), scale, spec.Causal);
        steps.Add(new AttentionStep("dO", spec.UpstreamGrad is null ? "∂L/∂O (L = Σ O, so all ones)" : "∂L/∂O (given)",
            spec.UpstreamGrad is null ? "\\partial L/\\partial O" : "\\partial L/\\partial O", dO, [], true));
        Backward(steps, leaves, [q, k, v], loss, scale, spec.Projects);
        return new AttentionResult(spec, scale, q.Shape[0], k.Shape[0], d, AttentionSlips.Add(steps, scale, spec.Scale is null));
    }

    /// <summary>S, the masked S, P (the attention op's weights), O (the fused op's output) and L.</summary>
    private static void Forward(List<AttentionStep> steps, Tensor q, Tensor k, Tensor v, Tensor o, Tensor loss, double scale, bool causal)
    {
        var s = q.MatMul(k.MT) * scale;
        steps.Add(new AttentionStep("S", "scale·Q·Kᵀ", "\\text{scale}\\, Q K^{\\top}", s, ["Q", "K"], false));
        if (causal)
        {
            var masked = s + ScaledDotProductAttentionOp.CausalMask(q.Shape[0], k.Shape[0], DType.Float64);
            steps.Add(new AttentionStep("S_masked", "S + M (M = −∞ where key j > query i, else 0)", "S + M", masked, ["S"], false));
        }

        var p = ScaledDotProductAttentionOp.Weights(q, k, null, scale, causal);
        string sm = causal ? "S_masked" : "S";
        steps.Add(new AttentionStep("P", $"softmax({sm}) along each row: P[i,j] = exp({sm}[i,j]) / Σⱼ exp({sm}[i,j])",
            $"\\operatorname{{softmax}}_{{\\text{{row}}}}\\left({(causal ? "\\tilde S" : "S")}\\right)", p, [sm], false));
        steps.Add(new AttentionStep("O", "P·V", "P V", o, ["P", "V"], false));
        steps.Add(new AttentionStep("L", "Σ O⊙dO", "\\textstyle\\sum O \\odot dO", loss, ["O"], false));
    }

    /// <summary>dV, dP, rowsum(dP⊙P), dS, dQ, dK (and dW_q, dW_k, dW_v, dX): the formulas' intermediates in tensor ops, the gradients by autograd.</summary>
    private static void Backward(List<AttentionStep> steps, Dictionary<string, Tensor> leaves, Tensor[] qkv, Tensor loss, double scale, bool projects)
    {
        var wrt = qkv.Concat(projects ? [leaves["X"], leaves["W_q"], leaves["W_k"], leaves["W_v"]] : []).ToList();
        var grads = Autograd.Grad([loss], wrt, allowUnused: true).Select((g, i) => (g ?? Tensor.ZerosLike(wrt[i])).Detach()).ToArray();
        var find = steps.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        var (p, v, dO) = (find["P"], find["V"], find["dO"]);
        var dP = dO.MatMul(v.MT);
        var delta = (dP * p).Sum(-1, keepDim: true);
        steps.Add(new AttentionStep("dV", "Pᵀ·dO", "P^{\\top} dO", grads[2], ["P", "dO"], true));
        steps.Add(new AttentionStep("dP", "dO·Vᵀ", "dO\\, V^{\\top}", dP, ["dO", "V"], true));
        steps.Add(new AttentionStep("delta", "rowsum(dP⊙P)", "\\textstyle\\sum_j dP \\odot P", delta, ["dP", "P"], true));
        steps.Add(new AttentionStep("dS", "P⊙(dP − delta)", "P \\odot (dP - \\delta)", p * (dP - delta), ["P", "dP", "delta"], true));
        steps.Add(new AttentionStep("dQ", "scale·dS·K", "\\text{scale}\\; dS\\, K", grads[0], ["dS", "K"], true));
        steps.Add(new AttentionStep("dK", "scale·dSᵀ·Q", "\\text{scale}\\; dS^{\\top} Q", grads[1], ["dS", "Q"], true));
        if (projects)
        {
            steps.Add(new AttentionStep("dW_q", "Xᵀ·dQ", "X^{\\top} dQ", grads[4], ["X", "dQ"], true));
            steps.Add(new AttentionStep("dW_k", "Xᵀ·dK", "X^{\\top} dK", grads[5], ["X", "dK"], true));
            steps.Add(new AttentionStep("dW_v", "Xᵀ·dV", "X^{\\top} dV", grads[6], ["X", "dV"], true));
            steps.Add(new AttentionStep("dX", "dQ·W_qᵀ + dK·W_kᵀ + dV·W_vᵀ", "dQ\\, W_q^{\\top} + dK\\, W_k^{\\top} + dV\\, W_v^{\\top}", grads[3],
                ["dQ", "dK", "dV", "W_q", "W_k", "W_v"], true));
        }
    }
}

/// <summary>
/// The usual slips of each step, as the values they give, for <c>nabla check</c> to say why a claim is wrong: a
/// transpose missed, the scale or the row sums forgotten, the softmax down the columns or without the mask.
/// </summary>
internal static class AttentionSlips
{
    public static List<AttentionStep> Add(List<AttentionStep> steps, double scale, bool defaultScale)
    {
        var v = steps.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        var (q, k, p, dO, dP, dS) = (v["Q"], v["K"], v["P"], v["dO"], v["dP"], v["dS"]);
        var qk = q.MatMul(k.MT);
        var slips = new Dictionary<string, (string, Tensor?)[]>(StringComparer.Ordinal)
        {
            ["S"] = [("Q·Kᵀ without the scale", qk), ("Q·Kᵀ/d, but the scale is 1/√d", defaultScale ? qk * (1.0 / q.Shape[-1]) : null)],
            ["P"] = [("the softmax down each column instead of along each row", (v.GetValueOrDefault("S_masked") ?? v["S"]).Softmax(0)),
                ("the softmax of S without the causal mask", v.ContainsKey("S_masked") ? v["S"].Softmax(-1) : null)],
            ["O"] = [("Pᵀ·V instead of P·V", Mm(p.MT, v["V"]))],
            ["dV"] = [("P·dO instead of Pᵀ·dO", Mm(p, dO))],
            ["dP"] = [("dO·V instead of dO·Vᵀ", Mm(dO, v["V"]))],
            ["delta"] = [("rowsum(dP) without the factor P", dP.Sum(-1, keepDim: true))],
            ["dS"] = [("P⊙dP, without subtracting rowsum(dP⊙P)", p * dP), ("dP − rowsum(dP⊙P) without the factor P", dP - v["delta"])],
            ["dQ"] = [("dS·K without the scale", dS.MatMul(k)), ("scale·dSᵀ·K instead of scale·dS·K", Mm(dS.MT, k) is { } a ? a * scale : null)],
            ["dK"] = [("dSᵀ·Q without the scale", dS.MT.MatMul(q)), ("scale·dS·Q instead of scale·dSᵀ·Q", Mm(dS, q) is { } b ? b * scale : null)],
        };
        return [.. steps.Select(s => slips.TryGetValue(s.Key, out var list)
            ? s with { Slips = [.. list.Where(l => l.Item2 is not null).Select(l => (l.Item1, l.Item2!))] }
            : s)];
    }

    /// <summary>a·b when the shapes allow it (a slip that cannot be computed is not a slip the student made).</summary>
    private static Tensor? Mm(Tensor a, Tensor b) => a.Shape[-1] == b.Shape[-2] ? a.MatMul(b) : null;
}

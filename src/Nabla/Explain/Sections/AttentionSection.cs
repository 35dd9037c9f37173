using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using Nabla.NN;
using Nabla.Ops;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary>One attention head of an exercise: Q, K, V (or X and W_q, W_k, W_v), causal or not, a scale and dL/dO.</summary>
/// <param name="Name">The prefix of the head's names (<c>attn</c>: <c>attn.P</c>, <c>attn.dQ</c>).</param>
/// <param name="Inputs">Q, K, V, or X, W_q, W_k, W_v (2-D each), by short name.</param>
/// <param name="Causal">Query i attends keys j ≤ i only.</param>
/// <param name="Scale">The factor of Q·Kᵀ, or null for 1/√d.</param>
/// <param name="UpstreamGrad">dL/dO, or null for a tensor of ones (L = the sum of the outputs).</param>
internal sealed record AttentionSpec(string Name, IReadOnlyDictionary<string, GivenValue> Inputs, bool Causal, double? Scale, GivenValue? UpstreamGrad)
{
    /// <summary>Whether the head projects an input X (Q = X·W_q, ...) rather than taking Q, K, V.</summary>
    public bool Projects => Inputs.ContainsKey("X");
}

/// <summary>One line of the worked head: a named value, how it is computed (text and LaTeX), what it is computed from.</summary>
internal sealed record AttentionStep(string Key, string Formula, string Latex, Tensor Value, IReadOnlyList<string> Deps, bool Backward)
{
    /// <summary>The usual slips at this step and the values they give (see <see cref="AttentionSlips"/>).</summary>
    public IReadOnlyList<(string Slip, Tensor Value)> Slips { get; init; } = [];
}

/// <summary>The worked head: the scale and the steps in order (forward, then backward).</summary>
internal sealed record AttentionResult(AttentionSpec Spec, double Scale, int Queries, int Keys, int Dim, IReadOnlyList<AttentionStep> Steps);

/// <summary>
/// <c>attention:</c> one attention head by hand. Forward: S = scale·Q·Kᵀ, the causal mask, P = softmax(S) by rows,
/// O = P·V; backward of L = Σ O ⊙ dO: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
/// dQ = scale·dS·K, dK = scale·dSᵀ·Q (and with X: dW = Xᵀ·d(Q, K, V), dX = Σ d(Q, K, V)·Wᵀ). O comes from the
/// engine's fused attention op (<see cref="F.ScaledDotProductAttention"/>), P from its weights
/// (<see cref="ScaledDotProductAttentionOp.Weights"/>), the gradients from autograd through the fused op; the
/// intermediate dP, rowsum and dS by the formulas in engine tensor ops (see docs/explain.md).
/// </summary>
internal sealed class AttentionSection : IExerciseSection
{
    private static readonly string[] Allowed = ["name", "Q", "K", "V", "X", "W_q", "W_k", "W_v", "causal", "scale", "dO"];

    public IReadOnlyList<string> Keys { get; } = ["attention"];

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["attention"] is not { } node)
        {
            return;
        }

        if (node is not YamlMapping m)
        {
            throw new YamlException("attention is a mapping: {Q: [[..]], K: [[..]], V: [[..]]} or {X: .., W_q: .., W_k: .., W_v: ..}, with causal:, scale:, dO:", node);
        }

        foreach (var (k, _) in m.Entries.Where(e => !Allowed.Contains(e.Key.Value)))
        {
            throw new YamlException($"attention has no key '{k.Value}'{DidYouMean.Suggest(k.Value, Allowed)} (keys: {string.Join(", ", Allowed)})", k);
        }

        string name = Exercise.Str(m["name"]) ?? "attn";
        string[] keys = m["X"] is not null ? ["X", "W_q", "W_k", "W_v"] : ["Q", "K", "V"];
        if (m["X"] is not null && (m["Q"] ?? m["K"] ?? m["V"]) is { } both)
        {
            throw new YamlException("attention takes Q, K, V or X with W_q, W_k, W_v, not both", both);
        }

        var inputs = new Dictionary<string, GivenValue>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            inputs[key] = Value(ex, m, key, name, folder) ?? throw new YamlException($"attention needs '{key}' (with {string.Join(", ", keys)})", m);
        }

        bool causal = m["causal"] is not YamlScalar c ? false
            : c.TryGetBool(out var cv) ? cv : throw new YamlException("attention causal is true or false", c);
        double? scale = m["scale"] is not { } sn ? null
            : sn is YamlScalar s && s.TryGetDouble(out var sv) && double.IsFinite(sv) ? sv : throw new YamlException("attention scale is a finite number (default 1/√d)", sn);
        var spec = new AttentionSpec(name, inputs, causal, scale, Value(ex, m, "dO", name, folder));
        AttentionShapes.Check(spec, m);
        ex.SectionSpecs[this] = spec;
    }

    /// <summary>An input written in place (numbers, <c>{formula: ..}</c>, <c>{png: ..}</c>) or the name of a given value.</summary>
    private static GivenValue? Value(Exercise ex, YamlMapping m, string key, string name, ConfinedFolder folder)
    {
        if (m[key] is not { } node)
        {
            return null;
        }

        if (node is YamlScalar { Quoted: false, IsNull: false } s && !s.TryGetDouble(out _))
        {
            return ex.Given.LastOrDefault(g => g.Name == s.Value)
                ?? throw new YamlException($"attention {key}: no given value '{s.Value}'{DidYouMean.Suggest(s.Value, ex.Given.Select(g => g.Name))}", node);
        }

        return Exercise.ReadGiven($"{name}.{key}", node, folder);
    }

    public void Solve(Solution sol, SolveContext ctx)
    {
        if (ctx.Exercise.SectionSpecs.GetValueOrDefault(this) is not AttentionSpec spec)
        {
            return;
        }

        var result = AttentionSolver.Solve(spec);
        sol.SectionResults[this] = result;
        foreach (var step in result.Steps)
        {
            sol.Values.Add(new NamedValue($"{spec.Name}.{step.Key}", step.Value, step.Deps.Select(d => $"{spec.Name}.{d}").ToList(), "attention"));
        }
    }

    public void Text(Solution sol, TextOut o)
    {
        if (sol.SectionResults.GetValueOrDefault(this) is not AttentionResult r)
        {
            return;
        }

        foreach (bool backward in new[] { false, true })
        {
            o.H(Title(r, backward));
            foreach (var s in r.Steps.Where(s => s.Backward == backward))
            {
                string name = $"{r.Spec.Name}.{s.Key}";
                string value = Shown(o.N(s.Value), latex: false);
                string latexValue = Shown(Latex.Tensor(s.Value, o.Digits), latex: true);
                o.Line(o.M(s.Latex.Length == 0 ? $"{Symbol(s.Key)} = {latexValue}" : $"{Symbol(s.Key)} = {s.Latex} = {latexValue}",
                    s.Formula.Length == 0 ? $"{name} = {value}" : $"{name} = {s.Formula} = {value}"));
            }
        }
    }

    public string? Why(Solution sol, string name, Tensor claimed)
    {
        if (sol.SectionResults.GetValueOrDefault(this) is not AttentionResult r
            || r.Steps.FirstOrDefault(s => $"{r.Spec.Name}.{s.Key}" == name) is not { } step)
        {
            return null;
        }

        int d = sol.Digits;
        string how = Shown($"{name}{(step.Formula.Length == 0 ? string.Empty : $" = {step.Formula}")} = {Format.Tensor(step.Value, d)}", latex: false);
        if (step.Slips.FirstOrDefault(s => Checker.Close(s.Value, claimed)) is { Slip: not null } slip)
        {
            return $"it matches {slip.Slip} ({how})";
        }

        return Checker.Close(-step.Value, claimed) ? $"it has the wrong sign ({how})"
            : $"the computed value is {Format.Tensor(step.Value, d)}, not {Format.Tensor(claimed, d)}: {how}";
    }

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.SectionResults.GetValueOrDefault(this) is not AttentionResult r)
        {
            return;
        }

        var values = new JsonObject();
        foreach (var s in r.Steps)
        {
            values[s.Key] = JsonRenderer.Value(s.Value);
        }

        root["attention"] = new JsonObject
        {
            ["name"] = r.Spec.Name,
            ["queries"] = r.Queries,
            ["keys"] = r.Keys,
            ["d"] = r.Dim,
            ["scale"] = r.Scale,
            ["causal"] = r.Spec.Causal,
            ["values"] = values,
        };
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
        if (sol.SectionResults.GetValueOrDefault(this) is not AttentionResult r)
        {
            return;
        }

        foreach (bool backward in new[] { false, true })
        {
            HtmlRenderer.Section(w, Title(r, backward), r.Steps.Where(s => s.Backward == backward).Select(s =>
            {
                string value = Shown(Latex.Tensor(s.Value, sol.Digits), latex: true);
                return (Math(s.Latex.Length == 0 ? $"{Symbol(s.Key)} = {value}" : $"{Symbol(s.Key)} = {s.Latex} = {value}"), wrong.Contains($"{r.Spec.Name}.{s.Key}"));
            }));
        }
    }

    private static string Title(AttentionResult r, bool backward) => backward
        ? $"Attention head {r.Spec.Name}: backward of L = Σ O⊙dO"
        : $"Attention head {r.Spec.Name} ({r.Queries} queries, {r.Keys} keys, d = {r.Dim}, scale = {(r.Spec.Scale is null ? $"1/√{r.Dim} = " : string.Empty)}{Format.Number(r.Scale, 6)}{(r.Spec.Causal ? ", causal" : string.Empty)})";

    /// <summary>The masked scores' −∞ as a mathematician writes it.</summary>
    private static string Shown(string value, bool latex) => value.Replace("-Infinity", latex ? "-\\infty" : "−∞", StringComparison.Ordinal);

    private static string Symbol(string key) => key switch
    {
        "S_masked" => "\\tilde S",
        "delta" => "\\delta",
        "W_q" or "W_k" or "W_v" => $"W_{key[2]}",
        "dW_q" or "dW_k" or "dW_v" => $"dW_{key[3]}",
        _ => key,
    };
}

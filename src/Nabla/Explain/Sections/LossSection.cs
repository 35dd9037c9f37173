using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary>
/// <c>loss:</c>, <c>losses:</c> and <c>gradients:</c>: the backward pass of the loss as the chain rule
/// (dL/dq = Σᵤ dL/du · ∂u/∂q, adjoints by one reverse pass), BPTT as a table over time steps, and the requested
/// gradients of every loss by autograd.
/// </summary>
internal sealed class LossSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["loss", "losses", "gradients"];

    public bool Traced => true;

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        // losses: [L1, L2] names several scalar losses; loss: (or else the first of losses:) is the primary one.
        List<(string Name, YamlNode Node)> losses = top["losses"] is { } ls
            ? [.. Exercise.Seq(ls, "losses").Select(n => (Exercise.Str(n) ?? throw new YamlException("a loss is named by a quantity", n), n))]
            : [];
        ex.Loss = Exercise.Str(top["loss"]) ?? (losses.Count > 0 ? losses[0].Name : null);
        ex.LossNode = top["loss"] ?? (losses.Count > 0 ? losses[0].Node : null);
        ex.Losses.AddRange(losses.Where(l => l.Name != ex.Loss));
        if (top["gradients"] is { } grads)
        {
            foreach (var g in Exercise.Seq(grads, "gradients"))
            {
                ex.Gradients.Add((Exercise.Str(g) ?? throw new YamlException("a gradient is named by a quantity", g), g));
            }
        }
    }

    public void Solve(Solution sol, SolveContext ctx)
    {
        var (ex, ev) = (sol.Exercise, sol.Evaluation);
        if (ex.Loss is not { } lossName)
        {
            return;
        }

        sol.Loss = ev.ByName.GetValueOrDefault(lossName)
            ?? throw new YamlException($"the loss '{lossName}' is not defined by an equation{DidYouMean.Suggest(lossName, ev.ByName.Keys)}", ex.LossNode!);
        if (sol.Loss.Value.Numel != 1)
        {
            throw new YamlException($"the loss '{lossName}' must be a scalar, it has shape {sol.Loss.Value.Shape}", ex.LossNode!);
        }

        Adjoints(sol, ev, sol.Loss);
        Gradients(sol, ev, sol.Loss);
        Losses.Gradients(sol, ev);
    }

    /// <summary>Adjoints dL/dq of every intermediate quantity (one reverse pass), and the direct partials of scalar quantities.</summary>
    private static void Adjoints(Solution sol, Evaluation ev, Quantity loss)
    {
        var qs = loss.Value.RequiresGrad ? ev.Quantities.Where(q => q.Value.RequiresGrad && q != loss).ToList() : [];
        if (qs.Count > 0)
        {
            var adj = Derivatives.Grad(loss.Value, qs.Select(q => q.Value).ToList(), retainGraph: true);
            for (int i = 0; i < qs.Count; i++)
            {
                sol.Adjoints[qs[i].Name] = adj[i] ?? Tensor.ZerosLike(qs[i].Value);
            }
        }

        sol.Adjoints[loss.Name] = Tensor.OnesLike(loss.Value);
        foreach (var u in ev.Quantities.Where(u => u.Value.Numel == 1 && sol.Adjoints.ContainsKey(u.Name)))
        {
            foreach (var (dep, partial) in Evaluator.LocalPartials(ev, u))
            {
                sol.Locals[(u.Name, dep)] = partial;
            }
        }

        foreach (var q in qs.Where(q => q.Value.Numel == 1))
        {
            sol.AdjointTerms[q.Name] = ev.Quantities.Where(u => sol.Locals.ContainsKey((u.Name, q.Name)))
                .Select(u => (u.Name, sol.Adjoints[u.Name], sol.Locals[(u.Name, q.Name)])).ToList();
        }
    }

    /// <summary>Per requested gradient dL/dx by autograd, with its chain-rule terms when x is a scalar.</summary>
    private static void Gradients(Solution sol, Evaluation ev, Quantity loss)
    {
        foreach (var (name, node) in sol.Exercise.Gradients)
        {
            var x = ev.ByName.GetValueOrDefault(name)?.Value ?? (ev.Given.TryGetValue(name, out var g) ? g : null)
                ?? throw new YamlException($"gradient with respect to '{name}': no such given value or quantity{DidYouMean.Suggest(name, ev.Names)}", node);
            // A loss that records no graph (a constant, or one that reaches the givens only through step) has zero gradients.
            var value = x == loss.Value ? Tensor.OnesLike(x)
                : !loss.Value.RequiresGrad ? Tensor.ZerosLike(x)
                : Autograd.Grad([loss.Value], [x], retainGraph: true, allowUnused: true)[0] ?? Tensor.ZerosLike(x);
            List<(string, Tensor, Tensor)> terms = x.Numel != 1 ? [] : ev.Quantities.Where(u => sol.Locals.ContainsKey((u.Name, name)))
                .Select(u => (u.Name, sol.Adjoints[u.Name], sol.Locals[(u.Name, name)])).ToList();

            string gname = $"d{loss.Name}/d{name}";
            sol.Gradients.Add(new GradientResult(gname, loss.Name, name, value.Detach(), terms));
            sol.Values.Add(new NamedValue(gname, value.Detach(), [loss.Name], "gradient"));
        }
    }

    public void Text(Solution sol, TextOut o) => LossText.Render(sol, o);

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.Loss is { } loss)
        {
            root["loss"] = new JsonObject { ["name"] = loss.Name, ["value"] = JsonRenderer.Value(loss.Value) };
            root["adjoints"] = JsonRenderer.Obj(sol.Adjoints.Select(a => ($"d{loss.Name}/d{a.Key}", JsonRenderer.Value(a.Value))));
            if (sol.OtherLosses.Count > 0)
            {
                root["losses"] = JsonRenderer.Obj(sol.OtherLosses.Prepend(loss).Select(l => (l.Name, JsonRenderer.Value(l.Value))));
            }
        }

        if (sol.Gradients.Count > 0)
        {
            root["gradients"] = JsonRenderer.Obj(sol.Gradients.Select(g => (g.Name, JsonRenderer.Value(g.Value))));
            root["chain_rule"] = JsonRenderer.Obj(sol.Gradients.Where(g => g.Terms.Count > 0).Select(g => (g.Name, (JsonNode?)new JsonArray(g.Terms.Select(t =>
                (JsonNode)new JsonObject { ["via"] = t.User, ["upstream"] = JsonRenderer.Value(t.Upstream), ["local"] = JsonRenderer.Value(t.Local) }).ToArray()))));
        }
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong) => LossHtml.Render(sol, w, wrong);
}

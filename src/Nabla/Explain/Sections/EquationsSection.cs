using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary>
/// <c>equations:</c> the forward pass, one named quantity per line (recurrences <c>h[t] = ... for t = 1..4</c>),
/// evaluated by the solver on Float64 tensors with autograd (<see cref="Evaluator"/>).
/// </summary>
internal sealed class EquationsSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["equations"];

    public bool Traced => true;

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["equations"] is { } eqs)
        {
            ex.Equations.AddRange(Exercise.Seq(eqs, "equations").Select(Exercise.ReadEquation));
        }
    }

    public void Solve(Solution sol, SolveContext ctx)
    {
        var ev = sol.Evaluation;
        foreach (var q in ev.Quantities)
        {
            sol.Values.Add(new NamedValue(q.Name, q.Value.Detach(), q.Deps, "quantity"));
        }

        // A family is also a value of its own (h = [h[0], ..., h[4]]) when its members stack: same shapes.
        foreach (var (fam, members) in ev.Families.Where(f => !ev.ByName.ContainsKey(f.Key) && f.Value.Values.Select(m => m.Value.Shape).Distinct().Count() == 1))
        {
            sol.Values.Add(new NamedValue(fam, ev.Lookup(fam)!.Detach(), members.Values.Select(m => m.Name).ToList(), "quantity"));
        }
    }

    public void Text(Solution sol, TextOut o)
    {
        if (sol.Evaluation.Quantities.Count == 0)
        {
            return;
        }

        o.H("Forward pass");
        int d = o.Digits;
        foreach (var q in sol.Evaluation.Quantities)
        {
            string subst = TextRenderer.Substitute(q, q.Equation.Rhs, d, o.Markdown);
            string formula = q.Formula;
            string body = o.Markdown
                ? $"{Latex.Name(q.Name)} = {Latex.Expr(q.Equation.Rhs, q)}" + (subst != Latex.Expr(q.Equation.Rhs, q) ? $" = {subst}" : string.Empty) + $" = {Latex.Tensor(q.Value, d)}"
                : $"{q.Name} = {formula}" + (subst != formula && subst != o.N(q.Value) ? $" = {subst}" : string.Empty) + $" = {o.N(q.Value)}";
            o.Line(o.Markdown ? $"${body}$" : body);
        }
    }

    public void Json(Solution sol, JsonObject root)
    {
        var ev = sol.Evaluation;
        var quantities = new JsonObject();
        foreach (var q in ev.Quantities)
        {
            quantities[q.Name] = JsonRenderer.Value(q.Value);
        }

        foreach (var fam in ev.Families.Keys.Where(f => !ev.ByName.ContainsKey(f)))
        {
            quantities[fam] = JsonRenderer.Value(ev.Lookup(fam)!);
        }

        root["quantities"] = quantities;
        root["equations"] = new JsonArray(ev.Quantities.Select(q => (JsonNode)new JsonObject
        {
            ["name"] = q.Name,
            ["equation"] = q.Equation.Text,
            ["formula"] = q.Formula,
            ["deps"] = new JsonArray(q.Deps.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
            ["value"] = JsonRenderer.Value(q.Value),
        }).ToArray());
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
        if (sol.Evaluation.Quantities.Count > 0)
        {
            HtmlRenderer.Section(w, "Forward pass", sol.Evaluation.Quantities.Select(q => (Math(HtmlRenderer.Equation(q, sol.Digits)), wrong.Contains(q.Name))));
        }
    }
}

using System.Globalization;

namespace Nabla.Explain.Sections;

/// <summary>The loss, the backward pass, BPTT and the gradients as terminal text or Markdown.</summary>
internal static class LossText
{
    public static void Render(Solution sol, TextOut o)
    {
        var ev = sol.Evaluation;
        int d = o.Digits;
        if (sol.Loss is { } loss)
        {
            o.H("Loss");
            o.Line(o.M($"{Latex.Name(loss.Name)} = {Latex.Expr(loss.Equation.Rhs, loss)} = {Latex.Tensor(loss.Value, d)}", $"{loss.Name} = {loss.Equation.RhsText} = {o.N(loss.Value)}"));
            foreach (var other in sol.OtherLosses)
            {
                o.Line(o.M($"{Latex.Name(other.Name)} = {Latex.Tensor(other.Value, d)}", $"{other.Name} = {other.Equation.RhsText} = {o.N(other.Value)} (another loss: its gradients below; the backward pass is {loss.Name}'s)"));
            }

            o.H("Backward pass (chain rule, reverse mode)");
            o.Line(o.M($"\\partial {Latex.Name(loss.Name)}/\\partial {Latex.Name(loss.Name)} = 1", $"d{loss.Name}/d{loss.Name} = 1"));
            foreach (var q in ev.Quantities.AsEnumerable().Reverse().Where(q => q != loss && sol.Adjoints.ContainsKey(q.Name)))
            {
                Adjoint(sol, o, loss, q);
            }

            Bptt(sol, o);
        }

        if (sol.Gradients.Count > 0)
        {
            o.H("Gradients");
            foreach (var g in sol.Gradients)
            {
                string terms = g.Terms.Count > 0
                    ? $" = {string.Join(" + ", g.Terms.Select(t => $"d{g.Of}/d{t.User}·∂{t.User}/∂{g.Wrt}"))} = {string.Join(" + ", g.Terms.Select(t => $"({o.N(t.Upstream)})·({o.N(t.Local)})"))}"
                    : string.Empty;
                o.Line(o.M($"\\frac{{\\partial {Latex.Name(g.Of)}}}{{\\partial {Latex.Name(g.Wrt)}}} = {Latex.Tensor(g.Value, d)}", $"{g.Name}{terms} = {o.N(g.Value)}"));
            }
        }
    }

    private static void Adjoint(Solution sol, TextOut o, Quantity loss, Quantity q)
    {
        int d = o.Digits;
        var adj = sol.Adjoints[q.Name];
        if (sol.AdjointTerms.TryGetValue(q.Name, out var terms) && terms.Count > 0)
        {
            string sym = string.Join(" + ", terms.Select(t => $"d{loss.Name}/d{t.User}·∂{t.User}/∂{q.Name}"));
            string nums = string.Join(" + ", terms.Select(t => $"({o.N(t.Upstream)})·({o.N(t.Local)})"));
            o.Line(o.M($"\\frac{{\\partial {Latex.Name(loss.Name)}}}{{\\partial {Latex.Name(q.Name)}}} = "
                + string.Join(" + ", terms.Select(t => $"({Latex.Tensor(t.Upstream, d)})({Latex.Tensor(t.Local, d)})")) + $" = {Latex.Tensor(adj, d)}",
                $"d{loss.Name}/d{q.Name} = {sym} = {nums} = {o.N(adj)}"));
        }
        else
        {
            o.Line(o.M($"\\frac{{\\partial {Latex.Name(loss.Name)}}}{{\\partial {Latex.Name(q.Name)}}} = {Latex.Tensor(adj, d)}", $"d{loss.Name}/d{q.Name} = {o.N(adj)}"));
        }
    }

    private static void Bptt(Solution sol, TextOut o)
    {
        int d = o.Digits;
        foreach (var fam in sol.Evaluation.Families.Where(f => f.Value.Values.All(q => q.Value.Numel == 1 && sol.Adjoints.ContainsKey(q.Name))
            && f.Value.Values.Any(q => q.Deps.Any(dep => f.Value.Values.Any(m => m.Name == dep)))))
        {
            var sens = sol.Sensitivities.Where(s => s.Family == fam.Key).ToList();
            string h = fam.Key;
            var header = new List<string> { "t", h + "[t]", $"d{sol.Loss!.Name}/d{h}[t]" };
            header.AddRange(sens.Select(s => $"d{h}[t]/d{s.Wrt} = ∂{h}[t]/∂{s.Wrt} + ∂{h}[t]/∂{h}[t-1]·d{h}[t-1]/d{s.Wrt}"));
            var rows = new List<string[]>();
            foreach (var (t, q) in fam.Value)
            {
                var row = new List<string> { t.ToString(CultureInfo.InvariantCulture), Format.Tensor(q.Value, d), Format.Tensor(sol.Adjoints[q.Name], d) };
                foreach (var s in sens)
                {
                    double value = s.Values.First(v => v.T == t).Value;
                    string direct = sol.Locals.TryGetValue((q.Name, s.Wrt), out var dw) ? Format.Tensor(dw, d) : "0";
                    string prev = $"{h}[{t - 1}]";
                    string rec = sol.Locals.TryGetValue((q.Name, prev), out var dh) && s.Values.Any(v => v.T == t - 1)
                        ? $"{direct} + {Format.Tensor(dh, d)}·{Format.Number(s.Values.First(v => v.T == t - 1).Value, d)} = "
                        : string.Empty;
                    row.Add($"{rec}{Format.Number(value, d)}");
                }

                rows.Add([.. row]);
            }

            o.W.Append(o.Markdown ? $"\n### Through time: {h}[t]\n\n" : $"\n  Backpropagation through time: {h}[t]\n");
            TextRenderer.Table(o.W, o.Markdown, header, rows);
        }
    }
}

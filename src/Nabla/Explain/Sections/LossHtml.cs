using System.Globalization;
using System.Text;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary>The loss, the backward pass, BPTT and the gradients as HTML (KaTeX), wrong claims highlighted.</summary>
internal static class LossHtml
{
    public static void Render(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
        int d = sol.Digits;
        if (sol.Loss is { } loss)
        {
            HtmlRenderer.Section(w, "Loss", [(Math($"{Latex.Name(loss.Name)} = {Latex.Expr(loss.Equation.Rhs, loss)} = {Latex.Tensor(loss.Value, d)}"), wrong.Contains(loss.Name))]);
            Backward(w, sol, loss, wrong);
            Bptt(w, sol);
        }

        if (sol.Gradients.Count > 0)
        {
            HtmlRenderer.Section(w, "Gradients", sol.Gradients.Select(g => (Math(Gradient(g, d)), wrong.Contains(g.Name))));
        }
    }

    private static string Partial(string of, string wrt) => $"\\frac{{\\partial {Latex.Name(of)}}}{{\\partial {Latex.Name(wrt)}}}";

    private static string Products(IEnumerable<(string User, Tensor Upstream, Tensor Local)> terms, int d) =>
        string.Join(" + ", terms.Select(t => $"\\left({Latex.Tensor(t.Upstream, d)}\\right)\\left({Latex.Tensor(t.Local, d)}\\right)"));

    private static string Gradient(GradientResult g, int d)
    {
        string lhs = Partial(g.Of, g.Wrt);
        if (g.Terms.Count == 0)
        {
            return $"{lhs} = {Latex.Tensor(g.Value, d)}";
        }

        string symbolic = string.Join(" + ", g.Terms.Select(t => $"{Partial(g.Of, t.User)} {Partial(t.User, g.Wrt)}"));
        return $"{lhs} = {symbolic} = {Products(g.Terms, d)} = {Latex.Tensor(g.Value, d)}";
    }

    private static void Backward(StringBuilder w, Solution sol, Quantity loss, IReadOnlySet<string> wrong)
    {
        int d = sol.Digits;
        var items = new List<(string, bool)> { (Math($"{Partial(loss.Name, loss.Name)} = 1"), false) };
        foreach (var q in sol.Evaluation.Quantities.AsEnumerable().Reverse().Where(q => q != loss && sol.Adjoints.ContainsKey(q.Name)))
        {
            string lhs = Partial(loss.Name, q.Name), value = Latex.Tensor(sol.Adjoints[q.Name], d);
            string body = sol.AdjointTerms.TryGetValue(q.Name, out var terms) && terms.Count > 0
                ? $"{lhs} = {string.Join(" + ", terms.Select(t => $"{Partial(loss.Name, t.User)} {Partial(t.User, q.Name)}"))} = {Products(terms, d)} = {value}"
                : $"{lhs} = {value}";
            items.Add((Math(body), wrong.Contains($"d{loss.Name}/d{q.Name}")));
        }

        HtmlRenderer.Section(w, "Backward pass (chain rule, reverse mode)", items);
    }

    /// <summary>BPTT: for each recurrent scalar family, a table over t of the state, dL/dstate and the recursive sensitivities.</summary>
    private static void Bptt(StringBuilder w, Solution sol)
    {
        int d = sol.Digits;
        string loss = sol.Loss!.Name;
        string P(double v) => v < 0 ? $"\\left({Format.Number(v, d)}\\right)" : Format.Number(v, d);
        foreach (var fam in sol.Evaluation.Families.Where(f => f.Value.Values.All(q => q.Value.Numel == 1 && sol.Adjoints.ContainsKey(q.Name))
            && f.Value.Values.Any(q => q.Deps.Any(dep => f.Value.Values.Any(m => m.Name == dep)))))
        {
            var sens = sol.Sensitivities.Where(s => s.Family == fam.Key).ToList();
            string h = fam.Key, ht = Latex.Name($"{h}[t]"), hp = Latex.Name($"{h}[t-1]");
            var header = new List<string> { Math("t"), Math(ht), Math($"\\frac{{\\partial {Latex.Name(loss)}}}{{\\partial {ht}}}") };
            header.AddRange(sens.Select(s => Math($"\\frac{{d {ht}}}{{d {Latex.Name(s.Wrt)}}} = \\frac{{\\partial {ht}}}{{\\partial {Latex.Name(s.Wrt)}}} + \\frac{{\\partial {ht}}}{{\\partial {hp}}} \\frac{{d {hp}}}{{d {Latex.Name(s.Wrt)}}}")));
            var rows = new List<(IReadOnlyList<string>, string?)>();
            foreach (var (t, q) in fam.Value)
            {
                var row = new List<string> { t.ToString(CultureInfo.InvariantCulture), Escape(Format.Tensor(q.Value, d)), Escape(Format.Tensor(sol.Adjoints[q.Name], d)) };
                foreach (var s in sens)
                {
                    double value = s.Values.First(v => v.T == t).Value;
                    string direct = sol.Locals.TryGetValue((q.Name, s.Wrt), out var dw) ? P(dw.Item()) : "0";
                    string rec = sol.Locals.TryGetValue((q.Name, $"{h}[{t - 1}]"), out var dh) && s.Values.Any(v => v.T == t - 1)
                        ? $"{direct} + {P(dh.Item())} \\cdot {P(s.Values.First(v => v.T == t - 1).Value)} = "
                        : string.Empty;
                    row.Add(Math($"{rec}{Format.Number(value, d)}"));
                }

                rows.Add((row, null));
            }

            w.Append($"<h3>Backpropagation through time: {Escape(h)}[t]</h3>\n");
            Table(w, header, rows);
        }
    }
}

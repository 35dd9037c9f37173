using System.Globalization;
using System.Text;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain;

/// <summary>
/// The worked solution as one self-contained HTML page (<c>nabla explain --format html</c>): the same sections as the
/// text and Markdown renderings, with the equations typeset by KaTeX from the LaTeX of <see cref="Latex"/> and
/// <see cref="TextRenderer.Substitute"/>, and BPTT, layer, optimizer and perceptron results as HTML tables. For
/// <c>nabla check --format html</c> the page opens with the claims (wrong ones highlighted) and the blamed steps,
/// and the wrong quantities are highlighted in the solution below. Every string from the exercise file is escaped:
/// the file may be anyone's.
/// </summary>
internal static class HtmlRenderer
{
    /// <summary>The page of <c>nabla explain</c>.</summary>
    public static string Render(Solution sol) => Build(Title(sol), Body(sol, new HashSet<string>(StringComparer.Ordinal)));

    /// <summary>The page of <c>nabla check</c>: the claims and the blame, then the solution with the wrong names highlighted.</summary>
    public static string RenderCheck(CheckReport report, Solution sol)
    {
        var w = new StringBuilder();
        var wrong = report.Results.Where(r => !r.Right).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        HtmlCheck.Claims(w, report, sol);
        return Build($"Check: {Title(sol)}", w + Body(sol, wrong));
    }

    private static string Title(Solution sol) => sol.Exercise.Title ?? sol.Exercise.Id;

    private static string Body(Solution sol, IReadOnlySet<string> wrong)
    {
        var w = new StringBuilder();
        var ex = sol.Exercise;
        var ev = sol.Evaluation;
        int d = sol.Digits;
        w.Append($"<h1>{Escape(Title(sol))}</h1>\n<p class=\"meta\">exercise {Escape(ex.Id)} · computed by Nabla's engine (Float64 tensors, reverse-mode autograd), {d} significant digits</p>\n");
        if (ex.Description is not null)
        {
            w.Append($"<p>{Escape(ex.Description)}</p>\n");
        }

        if (ev.Given.Count > 0)
        {
            Section(w, "Given", ev.Given.Select(g => (Math($"{Latex.Name(g.Key)} = {Latex.Tensor(g.Value, d)}"), false)));
        }

        foreach (var (name, summary) in sol.Models)
        {
            HtmlModels.Summary(w, name, summary);
            if (sol.Runs.FirstOrDefault(r => r.Name == name) is { } run)
            {
                HtmlModels.Run(w, run, d);
            }
        }

        if (ev.Quantities.Count > 0)
        {
            Section(w, "Forward pass", ev.Quantities.Select(q => (Math(Equation(q, d)), wrong.Contains(q.Name))));
        }

        if (sol.Loss is { } loss)
        {
            Section(w, "Loss", [(Math($"{Latex.Name(loss.Name)} = {Latex.Expr(loss.Equation.Rhs, loss)} = {Latex.Tensor(loss.Value, d)}"), wrong.Contains(loss.Name))]);
            Backward(w, sol, loss, wrong);
            Bptt(w, sol);
        }

        if (sol.Gradients.Count > 0)
        {
            Section(w, "Gradients", sol.Gradients.Select(g => (Math(Gradient(g, d)), wrong.Contains(g.Name))));
        }

        foreach (var (spec, j) in sol.Jacobians)
        {
            Section(w, $"Jacobian {spec.Name} = ∂{spec.Of}/∂{spec.Wrt}", [(Math($"{Latex.Name(spec.Name)} = \\frac{{\\partial {Latex.Name(spec.Of)}}}{{\\partial {Latex.Name(spec.Wrt)}}} = {Latex.Tensor(j, d)}"), wrong.Contains(spec.Name))]);
        }

        Hessian(w, sol);
        Optimizer(w, sol, wrong);
        Perceptron(w, sol);
        return w.ToString();
    }

    /// <summary>A heading (text) and a list of math lines (HTML), the flagged ones highlighted as wrong.</summary>
    internal static void Section(StringBuilder w, string title, IEnumerable<(string Html, bool Wrong)> items)
    {
        w.Append($"<h2>{Escape(title)}</h2>\n<ul class=\"math\">\n");
        foreach (var (html, isWrong) in items)
        {
            w.Append(isWrong ? "<li class=\"wrong\">" : "<li>").Append(html).Append("</li>\n");
        }

        w.Append("</ul>\n");
    }

    /// <summary>
    /// <c>name = formula = numbers substituted = value</c>, the substituted form left out when it adds nothing; a
    /// member of a recurrence says its loop variable (<c>h[4] = w1 h[t-1] + ... (t = 4)</c>).
    /// </summary>
    internal static string Equation(Quantity q, int d)
    {
        string formula = Latex.Expr(q.Equation.Rhs, q), subst = TextRenderer.Substitute(q, q.Equation.Rhs, d, latex: true), value = Latex.Tensor(q.Value, d);
        string loop = q.Env.Count == 0 ? string.Empty : $"\\qquad ({string.Join(", ", q.Env.Select(kv => $"{kv.Key} = {Format.Number(kv.Value, d)}"))})";
        return $"{Latex.Name(q.Name)} = {formula}" + (subst != formula && subst != value ? $" = {subst}" : string.Empty) + $" = {value}{loop}";
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

        Section(w, "Backward pass (chain rule, reverse mode)", items);
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

    private static void Hessian(StringBuilder w, Solution sol)
    {
        if (sol.CriticalPoints.Count == 0)
        {
            return;
        }

        int d = sol.Digits;
        var hs = sol.Exercise.Hessian!;
        string f = Latex.Name(hs.Of), vars = string.Join(", ", hs.Wrt.Select(Latex.Name));
        string Num(double v) => Format.Number(v, d);
        var items = new List<(string, bool)>();
        foreach (var p in sol.CriticalPoints)
        {
            string at = $"\\left({string.Join(", ", p.At.Select(Num))}\\right)";
            items.Add(($"at {Math($"({vars}) = {at}")}: "
                + Math($"{f} = {Num(p.F)},\\; \\nabla {f} = {Latex.Tensor(p.Gradient, d)},\\; H = {Latex.Tensor(p.Hessian, d)},\\; \\lambda = {string.Join(", ", p.Eigenvalues.Select(Num))},\\; \\det H = {Num(p.Determinant)}")
                + $"<br>→ <strong>{Escape(p.Type)}</strong>: {Escape(p.Reason)}", false));
        }

        Section(w, $"Hessian of {hs.Of} with respect to ({string.Join(", ", hs.Wrt)})", items);
    }

    private static void Optimizer(StringBuilder w, Solution sol, IReadOnlySet<string> wrong)
    {
        if (sol.OptimizerSteps.Count == 0)
        {
            return;
        }

        int d = sol.Digits;
        var spec = sol.Exercise.Optimizer!;
        string rule = spec.IsPlainAdam
            ? "m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\; v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\; \\hat m = \\frac{m}{1-\\beta_1^t},\\; \\hat v = \\frac{v}{1-\\beta_2^t},\\; \\theta \\leftarrow \\theta - \\eta \\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}"
            : spec.IsPlainSgd ? "\\theta \\leftarrow \\theta - \\eta\\, g"
            : $"\\theta \\leftarrow \\text{{{spec.Type}}}(\\theta, g)";
        w.Append($"<h2>Update ({Escape(spec.Type)}, {Math($"\\eta = {Format.Number(spec.Lr, d)}")})</h2>\n").Append(DisplayMath(rule));
        var rows = sol.OptimizerSteps.SelectMany(s => s.Params.Select(p => ((IReadOnlyList<string>)
        [
            s.Step.ToString(CultureInfo.InvariantCulture), Math(Latex.Name(p.Param)), Math(Latex.Tensor(p.Before, d)), Math(Latex.Tensor(p.Grad, d)),
            Escape(string.Join(", ", p.State.Select(kv => $"{kv.Key} = {Format.Tensor(kv.Value, d)}"))),
            Math(Latex.Tensor(p.After, d)),
        ], wrong.Contains($"{p.Param}'") ? "wrong" : (string?)null)));
        Table(w, ["step", "parameter θ", "before", "gradient g", "state", "after θ′"], rows);
        string lossName = sol.Loss!.Name;
        w.Append("<ul class=\"math\">\n").Append(wrong.Contains($"{lossName}'") ? "<li class=\"wrong\">" : "<li>")
            .Append(Math($"{Latex.Name(lossName)}' = {Format.Number(sol.LossAfter ?? double.NaN, d)}"))
            .Append($" (before the update: {Math(Format.Number(sol.OptimizerSteps[0].Loss, d))})</li>\n</ul>\n");
    }

    private static void Perceptron(StringBuilder w, Solution sol)
    {
        if (sol.Perceptron.Count == 0)
        {
            return;
        }

        int d = sol.Digits;
        var p = sol.Exercise.Perceptron!;
        string N(double v) => Format.Number(v, d);
        w.Append("<h2>Perceptron rule</h2>\n")
            .Append(DisplayMath($"y = \\begin{{cases}} 1 & w \\cdot x \\ge \\theta \\\\ 0 & \\text{{otherwise}} \\end{{cases}},\\quad w \\leftarrow w + \\eta (t - y) x"
                + (p.LearnTheta ? ",\\quad \\theta \\leftarrow \\theta - \\eta (t - y)" : $"\\quad (\\theta = {N(p.Theta)}\\ \\text{{fixed}})") + $",\\quad \\eta = {N(p.Lr)}"));
        var rows = sol.Perceptron.Take(12).SelectMany(e => e.Rows.Select(r => ((IReadOnlyList<string>)
        [
            e.Epoch.ToString(CultureInfo.InvariantCulture), Escape(string.Join(", ", r.X.Select(N))), N(r.Net), r.Y.ToString(CultureInfo.InvariantCulture),
            N(r.T), r.Y == (int)r.T ? "ok" : "update", Escape(string.Join(", ", r.WAfter.Select(N))), N(r.ThetaAfter),
        ], r.Y == (int)r.T ? null : (string?)"update")));
        Table(w, ["epoch", "x", "w·x", "y", "t", string.Empty, "w after", "θ after"], rows);
        string errs = string.Join(", ", sol.Perceptron.Select(e => e.Errors).Take(20));
        w.Append($"<p>errors per epoch: {errs}{(sol.Perceptron.Count > 20 ? ", …" : string.Empty)}; ")
            .Append(sol.PerceptronConverged == true
                ? $"converged after {sol.Perceptron.Count} epochs"
                : $"not converged after {sol.Perceptron.Count} epochs (at least {sol.Perceptron.Min(e => e.Errors)} error in every epoch)")
            .Append(sol.Perceptron.Count > 12 ? "; the table shows the first 12 epochs" : string.Empty).Append("</p>\n");
    }
}

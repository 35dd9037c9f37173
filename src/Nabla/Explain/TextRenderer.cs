using System.Text;

namespace Nabla.Explain;

/// <summary>
/// The worked solution as terminal text or as Markdown with LaTeX: the given values, the forward pass step by
/// step (equation, numbers substituted, result), the loss, the backward pass as the chain rule
/// (dL/dq = Σᵤ dL/du · ∂u/∂q), BPTT as a table over time steps, the optimizer update, Jacobians, Hessians and the
/// second-derivative test, model tables and perceptron epochs.
/// </summary>
internal static class TextRenderer
{
    public static string Render(Solution sol, bool markdown)
    {
        var w = new StringBuilder();
        var ex = sol.Exercise;
        var ev = sol.Evaluation;
        int d = sol.Digits;
        string N(Tensor t) => Format.Tensor(t, d);
        string Num(double v) => Format.Number(v, d);
        void H(string title) => w.Append(markdown ? $"\n## {title}\n\n" : $"\n{title}\n{new string('-', title.Length)}\n");
        void Line(string text) => w.Append(markdown ? $"- {text}\n" : $"  {text}\n");
        string M(string latex, string plain) => markdown ? $"${latex}$" : plain;

        w.Append(markdown ? $"# {ex.Title ?? ex.Id}\n" : $"{ex.Title ?? ex.Id}\n{new string('=', (ex.Title ?? ex.Id).Length)}\n");
        if (ex.Description is not null)
        {
            w.Append($"\n{ex.Description}\n");
        }

        if (ev.Given.Count > 0)
        {
            H("Given");
            foreach (var (k, v) in ev.Given)
            {
                Line(M($"{Latex.Name(k)} = {Latex.Tensor(v, d)}", $"{k} = {N(v)}"));
            }
        }

        SolveRenderer.Text(w, sol, markdown);
        foreach (var (name, s) in sol.Models)
        {
            H($"Model {name} (input {s.InputShape})");
            var rows = s.Rows.Where(r => r.Path.Length > 0).ToList();
            Table(w, markdown, ["layer", "type", "output shape", "params", "MACs", "receptive field"],
                rows.Select(r => new[] { r.Label, r.Type, r.OutputShape.ToString(), r.Params.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                    r.Macs.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), r.ReceptiveField is { } rf ? $"{rf.Height.Size}x{rf.Width.Size}" : string.Empty }).ToList());
            Line($"total: {s.Totals.Params:N0} parameters ({s.Totals.Trainable:N0} trainable, {s.Totals.NonTrainable:N0} non-trainable), {s.Totals.Macs:N0} MACs, output {s.OutputShape}");
            if (sol.Runs.FirstOrDefault(r => r.Name == name) is { } run)
            {
                ModelRunRenderer.Text(w, run, markdown, d);
            }
        }

        if (ev.Quantities.Count > 0)
        {
            H("Forward pass");
            foreach (var q in ev.Quantities)
            {
                string subst = Substitute(q, q.Equation.Rhs, d, markdown);
                string formula = q.Formula;
                string body = markdown
                    ? $"{Latex.Name(q.Name)} = {Latex.Expr(q.Equation.Rhs, q)}" + (subst != Latex.Expr(q.Equation.Rhs, q) ? $" = {subst}" : string.Empty) + $" = {Latex.Tensor(q.Value, d)}"
                    : $"{q.Name} = {formula}" + (subst != formula && subst != N(q.Value) ? $" = {subst}" : string.Empty) + $" = {N(q.Value)}";
                Line(markdown ? $"${body}$" : body);
            }
        }

        if (sol.Loss is { } loss)
        {
            H("Loss");
            Line(M($"{Latex.Name(loss.Name)} = {Latex.Expr(loss.Equation.Rhs, loss)} = {Latex.Tensor(loss.Value, d)}", $"{loss.Name} = {loss.Equation.RhsText} = {N(loss.Value)}"));
            foreach (var other in sol.OtherLosses)
            {
                Line(M($"{Latex.Name(other.Name)} = {Latex.Tensor(other.Value, d)}", $"{other.Name} = {other.Equation.RhsText} = {N(other.Value)} (another loss: its gradients below; the backward pass is {loss.Name}'s)"));
            }

            H("Backward pass (chain rule, reverse mode)");
            Line(M($"\\partial {Latex.Name(loss.Name)}/\\partial {Latex.Name(loss.Name)} = 1", $"d{loss.Name}/d{loss.Name} = 1"));
            foreach (var q in ev.Quantities.AsEnumerable().Reverse().Where(q => q != loss && sol.Adjoints.ContainsKey(q.Name)))
            {
                var adj = sol.Adjoints[q.Name];
                if (sol.AdjointTerms.TryGetValue(q.Name, out var terms) && terms.Count > 0)
                {
                    string sym = string.Join(" + ", terms.Select(t => $"d{loss.Name}/d{t.User}·∂{t.User}/∂{q.Name}"));
                    string nums = string.Join(" + ", terms.Select(t => $"({N(t.Upstream)})·({N(t.Local)})"));
                    Line(M($"\\frac{{\\partial {Latex.Name(loss.Name)}}}{{\\partial {Latex.Name(q.Name)}}} = "
                        + string.Join(" + ", terms.Select(t => $"({Latex.Tensor(t.Upstream, d)})({Latex.Tensor(t.Local, d)})")) + $" = {Latex.Tensor(adj, d)}",
                        $"d{loss.Name}/d{q.Name} = {sym} = {nums} = {N(adj)}"));
                }
                else
                {
                    Line(M($"\\frac{{\\partial {Latex.Name(loss.Name)}}}{{\\partial {Latex.Name(q.Name)}}} = {Latex.Tensor(adj, d)}", $"d{loss.Name}/d{q.Name} = {N(adj)}"));
                }
            }

            Bptt(sol, w, markdown, d);
        }

        if (sol.Gradients.Count > 0)
        {
            H("Gradients");
            foreach (var g in sol.Gradients)
            {
                string terms = g.Terms.Count > 0
                    ? $" = {string.Join(" + ", g.Terms.Select(t => $"d{g.Of}/d{t.User}·∂{t.User}/∂{g.Wrt}"))} = {string.Join(" + ", g.Terms.Select(t => $"({N(t.Upstream)})·({N(t.Local)})"))}"
                    : string.Empty;
                Line(M($"\\frac{{\\partial {Latex.Name(g.Of)}}}{{\\partial {Latex.Name(g.Wrt)}}} = {Latex.Tensor(g.Value, d)}", $"{g.Name}{terms} = {N(g.Value)}"));
            }
        }

        foreach (var (spec, j) in sol.Jacobians)
        {
            H($"Jacobian {spec.Name} = ∂{spec.Of}/∂{spec.Wrt}");
            Line(M($"{Latex.Name(spec.Name)} = {Latex.Tensor(j, d)}", $"{spec.Name} = {N(j)}"));
        }

        if (sol.CriticalPoints.Count > 0)
        {
            var hs = ex.Hessian!;
            H($"Hessian of {hs.Of} with respect to ({string.Join(", ", hs.Wrt)})");
            foreach (var p in sol.CriticalPoints)
            {
                Line($"at ({string.Join(", ", p.At.Select(Num))}): {hs.Of} = {Num(p.F)}, gradient = {N(p.Gradient)}, Hessian = {N(p.Hessian)}, eigenvalues = [{string.Join(", ", p.Eigenvalues.Select(Num))}]{(p.Eigenvectors is { } vec ? $", eigenvectors (columns) = {N(vec)}" : string.Empty)}, det = {Num(p.Determinant)}");
                Line($"  → {p.Type}: {p.Reason}");
            }
        }

        Optimizer(sol, w, markdown, d);
        TrajectoryRenderer.Text(sol, w, markdown, d);
        Perceptron(sol, w, markdown, d);
        return w.ToString();
    }

    private static void Bptt(Solution sol, StringBuilder w, bool markdown, int d)
    {
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
                var row = new List<string> { t.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Tensor(q.Value, d), Format.Tensor(sol.Adjoints[q.Name], d) };
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

            w.Append(markdown ? $"\n### Through time: {h}[t]\n\n" : $"\n  Backpropagation through time: {h}[t]\n");
            Table(w, markdown, header, rows);
        }
    }

    private static void Optimizer(Solution sol, StringBuilder w, bool markdown, int d)
    {
        if (sol.OptimizerSteps.Count == 0)
        {
            return;
        }

        var spec = sol.Exercise.Optimizer!;
        string rule = spec.RuleText;
        w.Append(markdown ? $"\n## Update ({spec.Type}, lr = {Format.Number(spec.Lr, d)})\n\n`{rule}`\n\n" : $"\nUpdate ({spec.Type}, lr = {Format.Number(spec.Lr, d)}): {rule}\n");
        foreach (var s in sol.OptimizerSteps)
        {
            foreach (var p in s.Params)
            {
                string state = string.Join(", ", p.State.Select(kv => $"{kv.Key} = {Format.Tensor(kv.Value, d)}"));
                string updated = Steps.Name(p.Param, s.Step, sol.OptimizerSteps.Count);
                string line = spec.IsPlainSgd
                    ? $"step {s.Step}: {updated} = {Format.Tensor(p.Before, d)} − {Format.Number(spec.Lr, d)}·({Format.Tensor(p.Grad, d)}) = {Format.Tensor(p.After, d)}"
                    : $"step {s.Step}: g = {Format.Tensor(p.Grad, d)}, {state}; {updated} = {Format.Tensor(p.After, d)}";
                w.Append(markdown ? $"- {line}\n" : $"  {line}\n");
            }
        }

        string after = sol.LossAfter is { } la
            ? $"{sol.Loss!.Name}' = {Format.Number(la, d)} (before: {Format.Number(sol.OptimizerSteps[0].Loss, d)})"
            : $"{sol.Loss!.Name}' is not a number at the updated parameters: {sol.LossAfterError}";
        w.Append(markdown ? $"- {after}\n" : $"  {after}\n");
    }

    private static void Perceptron(Solution sol, StringBuilder w, bool markdown, int d)
    {
        if (sol.Perceptron.Count == 0)
        {
            return;
        }

        var p = sol.Exercise.Perceptron!;
        w.Append(markdown ? "\n## Perceptron rule\n\n" : "\nPerceptron rule\n---------------\n");
        w.Append($"{(markdown ? string.Empty : "  ")}y = 1 if w·x ≥ θ else 0; w ← w + η(t − y)x{(p.LearnTheta ? ", θ ← θ − η(t − y)" : $" (θ = {Format.Number(p.Theta, d)} fixed)")}, η = {Format.Number(p.Lr, d)}\n");
        var rows = new List<string[]>();
        foreach (var e in sol.Perceptron.Take(12))
        {
            foreach (var r in e.Rows)
            {
                rows.Add([e.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(",", r.X.Select(v => Format.Number(v, d))), Format.Number(r.Net, d),
                    r.Y.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Number(r.T, d), r.Y == (int)r.T ? "ok" : "update",
                    string.Join(", ", r.WAfter.Select(v => Format.Number(v, d))), Format.Number(r.ThetaAfter, d)]);
            }
        }

        Table(w, markdown, ["epoch", "x", "w·x", "y", "t", "", "w after", "θ after"], rows);
        string errs = string.Join(", ", sol.Perceptron.Select(e => e.Errors).Take(20));
        w.Append($"{(markdown ? "\n" : "  ")}errors per epoch: {errs}{(sol.Perceptron.Count > 20 ? ", …" : string.Empty)}; {(sol.PerceptronConverged == true ? $"converged after {sol.Perceptron.Count} epochs" : $"not converged after {sol.Perceptron.Count} epochs (at least {sol.Perceptron.Min(e => e.Errors)} error in every epoch)")}\n");
    }

    /// <summary>The right-hand side with every value read substituted.</summary>
    internal static string Substitute(Quantity q, Expr e, int d, bool latex)
    {
        string V(Tensor t) => latex ? Latex.Tensor(t, d) : Format.Tensor(t, d, 12);
        string Wrap(Tensor t) => t.Rank == 0 && t.Item() < 0 ? $"({V(t)})" : V(t);
        switch (e)
        {
            case SymExpr s when q.Env.TryGetValue(s.Name, out var v):
                return Format.Number(v, d);
            case SymExpr or IndexExpr when q.Reads.TryGetValue(e, out var r):
                return r.Value.Numel <= 12 ? Wrap(r.Value) : (latex ? Latex.Name(r.Label) : r.Label);
            case NumExpr n:
                return Format.Number(n.Value, d);
            case BinExpr b:
                string l = Substitute(q, b.Left, d, latex), rr = Substitute(q, b.Right, d, latex);
                if (latex)
                {
                    return b.Op switch
                    {
                        '/' => $"\\frac{{{l}}}{{{rr}}}",
                        '^' => $"{{{(b.Left is BinExpr or NegExpr ? $"\\left({l}\\right)" : l)}}}^{{{rr}}}",
                        '*' => Quantity.ShowBin(b, l, rr).Replace("*", " \\cdot ", StringComparison.Ordinal),
                        _ => Quantity.ShowBin(b, l, rr).Replace("@", " ", StringComparison.Ordinal).Replace("%", " \\bmod ", StringComparison.Ordinal),
                    };
                }

                return Quantity.ShowBin(b, l, rr).Replace("*", "·", StringComparison.Ordinal);
            case NegExpr n:
                return $"-{(n.Operand is BinExpr ? $"({Substitute(q, n.Operand, d, latex)})" : Substitute(q, n.Operand, d, latex))}";
            case CallExpr c:
                var args = c.Args.Select(a => Substitute(q, a, d, latex)).Concat(c.Named.Select(kv => $"{kv.Key}={Substitute(q, kv.Value, d, latex)}"));
                return latex ? $"\\operatorname{{{c.Name}}}\\left({string.Join(", ", args)}\\right)" : $"{c.Name}({string.Join(", ", args)})";
            case ListExpr l2:
                return $"[{string.Join(", ", l2.Items.Select(i => Substitute(q, i, d, latex)))}]";
            case IndexExpr ix:
                return $"{Substitute(q, ix.Target, d, latex)}[{string.Join(", ", ix.Indices.Select(i => Substitute(q, i, d, latex)))}]";
            default:
                return e.Show();
        }
    }

    internal static void Table(StringBuilder w, bool markdown, IReadOnlyList<string> header, IReadOnlyList<string[]> rows, bool leftAligned = false)
    {
        string Pad(string cell, int width) => leftAligned ? cell.PadRight(width) : cell.PadLeft(width);
        if (markdown)
        {
            w.Append('\n').Append("| ").Append(string.Join(" | ", header)).Append(" |\n|").Append(string.Concat(header.Select(_ => "---|"))).Append('\n');
            foreach (var r in rows)
            {
                w.Append("| ").Append(string.Join(" | ", r)).Append(" |\n");
            }

            return;
        }

        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        w.Append("  ").Append(string.Join("  ", header.Select((h, i) => Pad(h, widths[i]))).TrimEnd()).Append('\n');
        foreach (var r in rows)
        {
            w.Append("  ").Append(string.Join("  ", r.Select((c, i) => Pad(c, widths[i]))).TrimEnd()).Append('\n');
        }
    }
}

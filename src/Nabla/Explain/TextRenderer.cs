using System.Text;
using Nabla.Explain.Sections;

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
        w.Append(markdown ? $"# {ex.Title ?? ex.Id}\n" : $"{ex.Title ?? ex.Id}\n{new string('=', (ex.Title ?? ex.Id).Length)}\n");
        if (ex.Description is not null)
        {
            w.Append($"\n{ex.Description}\n");
        }

        var o = new TextOut(w, markdown, sol.Digits);
        foreach (var section in ExerciseSections.All)
        {
            section.Text(sol, o);
        }

        return w.ToString();
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

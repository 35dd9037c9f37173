using System.Text;

namespace Nabla.Explain;

/// <summary>LaTeX for names (<c>h[t-1]</c> → <c>h_{t-1}</c>, <c>w1</c> → <c>w_{1}</c>), expressions and tensors (bmatrix).</summary>
internal static class Latex
{
    public static string Name(string name)
    {
        int b = name.IndexOf('[', StringComparison.Ordinal);
        if (b > 0 && name.EndsWith(']'))
        {
            return $"{Name(name[..b])}_{{{name[(b + 1)..^1]}}}";
        }

        int i = name.Length;
        while (i > 1 && char.IsAsciiDigit(name[i - 1]))
        {
            i--;
        }

        string stem = name[..i].Replace("_", "\\_", StringComparison.Ordinal);
        stem = stem.Length > 1 && !stem.Contains('\\', StringComparison.Ordinal) ? $"\\mathrm{{{stem}}}" : stem;
        return i < name.Length ? $"{stem}_{{{name[i..]}}}" : stem;
    }

    public static string Expr(Expr e, Quantity q) => e switch
    {
        SymExpr s when q.Env.ContainsKey(s.Name) => s.Name,
        SymExpr s => Name(s.Name),
        NumExpr n => Format.Number(n.Value, 12),
        NegExpr n => $"-{(n.Operand is BinExpr ? $"\\left({Expr(n.Operand, q)}\\right)" : Expr(n.Operand, q))}",
        BinExpr { Op: '/' } b => $"\\frac{{{Expr(b.Left, q)}}}{{{Expr(b.Right, q)}}}",
        BinExpr { Op: '^' } b => $"{{{(b.Left is BinExpr or NegExpr ? $"\\left({Expr(b.Left, q)}\\right)" : Expr(b.Left, q))}}}^{{{Expr(b.Right, q)}}}",
        BinExpr b => Quantity.ShowBin(b, Expr(b.Left, q), Expr(b.Right, q)).Replace("*", " ", StringComparison.Ordinal).Replace("@", " ", StringComparison.Ordinal).Replace("%", " \\bmod ", StringComparison.Ordinal),
        IndexExpr { Target: SymExpr s } ix => $"{Name(s.Name)}_{{{string.Join(",", ix.Indices.Select(i => i.Show()))}}}",
        IndexExpr ix => $"\\left({Expr(ix.Target, q)}\\right)_{{{string.Join(",", ix.Indices.Select(i => i.Show()))}}}",
        CallExpr c => $"\\operatorname{{{c.Name}}}\\left({string.Join(", ", c.Args.Select(a => Expr(a, q)))}\\right)",
        ListExpr l => $"\\left[{string.Join(", ", l.Items.Select(i => Expr(i, q)))}\\right]",
        _ => e.Show(),
    };

    public static string Tensor(Tensor t, int digits)
    {
        if (t.Rank == 0)
        {
            return Format.Number(t.Item(), digits);
        }

        if (t.Numel > 64 || t.Rank > 2)
        {
            return $"\\text{{tensor {t.Shape}}}";
        }

        var v = t.ToDoubleArray();
        var sb = new StringBuilder("\\begin{bmatrix}");
        int rows = t.Rank == 1 ? 1 : t.Shape[0], cols = t.Shape[-1];
        for (int r = 0; r < rows; r++)
        {
            sb.Append(string.Join(" & ", Enumerable.Range(0, cols).Select(c => Format.Number(v[(r * cols) + c], digits))));
            if (r < rows - 1)
            {
                sb.Append(" \\\\ ");
            }
        }

        return sb.Append("\\end{bmatrix}").ToString();
    }
}

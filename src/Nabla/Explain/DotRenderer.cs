using System.Text;

namespace Nabla.Explain;

/// <summary>
/// The computation graph in Graphviz DOT, drawn from the recorded trace: one box per tensor (label, value and,
/// after the backward pass, its gradient), one ellipse per forward op, edges in the direction of the data.
/// </summary>
internal static class DotRenderer
{
    public static string Render(Solution sol)
    {
        int d = sol.Digits;
        var grads = new Dictionary<string, TracedTensor>(StringComparer.Ordinal);
        foreach (var s in sol.Trace.Where(s => s.Phase == TracePhase.Backward))
        {
            foreach (var o in s.Outputs)
            {
                grads[o.Label] = o;
            }
        }

        var sb = new StringBuilder("digraph computation {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
        var nodes = new HashSet<string>(StringComparer.Ordinal);
        void Tensor(TracedTensor t)
        {
            if (!nodes.Add(t.Label))
            {
                return;
            }

            string value = Show(t, d);
            string grad = grads.TryGetValue($"d{t.Label}", out var g) ? $"\\ngrad {Show(g, d)}" : string.Empty;
            bool named = !IsAuto(t.Label);
            sb.Append($"  \"{Esc(t.Label)}\" [shape=box{(named ? ", style=filled, fillcolor=\"#e8f0ff\"" : string.Empty)}, label=\"{Esc(t.Label)}\\n{Esc(value)}{Esc(grad)}\"];\n");
        }

        foreach (var s in sol.Trace.Where(s => s.Phase == TracePhase.Forward))
        {
            string op = $"op{s.Index}";
            sb.Append($"  {op} [shape=ellipse, label=\"{Esc(s.Op)}\"];\n");
            foreach (var i in s.Inputs)
            {
                Tensor(i);
                sb.Append($"  \"{Esc(i.Label)}\" -> {op};\n");
            }

            foreach (var o in s.Outputs)
            {
                Tensor(o);
                sb.Append($"  {op} -> \"{Esc(o.Label)}\";\n");
            }
        }

        return sb.Append("}\n").ToString();
    }

    private static bool IsAuto(string label) => label.Length > 1 && label[0] == 't' && label[1..].All(char.IsAsciiDigit);

    private static string Show(TracedTensor t, int d)
    {
        if (t.Values is not { } v)
        {
            return t.Shape.ToString();
        }

        return t.Shape.Rank == 0 ? Format.Number(v[0], d) : v.Count <= 6 ? $"[{string.Join(", ", v.Select(x => Format.Number(x, d)))}]" : t.Shape.ToString();
    }

    private static string Esc(string s) => s.Replace("\\n", "\u0001", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\u0001", "\\n", StringComparison.Ordinal);
}

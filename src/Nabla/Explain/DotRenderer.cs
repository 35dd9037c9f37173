using System.Text;

namespace Nabla.Explain;

/// <summary>
/// The computation graph of the named quantities in Graphviz DOT: one box per given value (blue) and per equation
/// instance, labelled with its value and, when a loss is differentiated, its gradient dL/dq; edges in the direction of
/// the data (each equation's inputs → its result), labelled with the equation's operation.
/// </summary>
internal static class DotRenderer
{
    public static string Render(Solution sol)
    {
        int d = sol.Digits;
        var ev = sol.Evaluation;
        var grads = new Dictionary<string, Tensor>(sol.Adjoints, StringComparer.Ordinal);
        foreach (var g in sol.Gradients.Where(g => g.Of == sol.Loss?.Name))
        {
            grads[g.Wrt] = g.Value;
        }

        var sb = new StringBuilder("digraph computation {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n");
        string Label(string name, Tensor value)
        {
            string grad = grads.TryGetValue(name, out var g) ? $"\\ngrad {Esc(Format.Tensor(g, d, 6))}" : string.Empty;
            return $"{Esc(name)}\\n{Esc(Format.Tensor(value, d, 6))}{grad}";
        }

        var used = ev.Quantities.SelectMany(q => q.Deps).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, value) in ev.Given.Where(g => used.Contains(g.Key)))
        {
            sb.Append($"  \"{Esc(name)}\" [style=filled, fillcolor=\"#e8f0ff\", label=\"{Label(name, value)}\"];\n");
        }

        foreach (var q in ev.Quantities)
        {
            bool isLoss = sol.Loss == q;
            sb.Append($"  \"{Esc(q.Name)}\" [{(isLoss ? "style=filled, fillcolor=\"#ffe8e8\", " : string.Empty)}label=\"{Label(q.Name, q.Value)}\", tooltip=\"{Esc(q.Name)} = {Esc(q.Formula)}\"];\n");
            foreach (var dep in q.Deps)
            {
                sb.Append($"  \"{Esc(dep)}\" -> \"{Esc(q.Name)}\";\n");
            }
        }

        return sb.Append("}\n").ToString();
    }

    private static string Esc(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

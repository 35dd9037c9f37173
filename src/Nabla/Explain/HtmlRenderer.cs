using System.Globalization;
using System.Text;
using Nabla.Explain.Sections;
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
        int d = sol.Digits;
        w.Append($"<h1>{Escape(Title(sol))}</h1>\n<p class=\"meta\">exercise {Escape(ex.Id)} · computed by Nabla's engine (Float64 tensors, reverse-mode autograd), {d} significant digits</p>\n");
        if (ex.Description is not null)
        {
            w.Append($"<p>{Escape(ex.Description)}</p>\n");
        }

        foreach (var section in ExerciseSections.All)
        {
            section.Html(sol, w, wrong);
        }

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
}

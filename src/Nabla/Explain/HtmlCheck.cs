using System.Text;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain;

/// <summary>
/// The claims of <c>nabla check --format html</c>: a table with each claim, the computed value and the verdict (wrong
/// rows carry the class <c>wrong</c>), then for each blamed quantity why it is wrong, the step that computes it with
/// the numbers substituted, and the wrong claims that follow from it.
/// </summary>
internal static class HtmlCheck
{
    public static void Claims(StringBuilder w, CheckReport report, Solution sol)
    {
        int d = sol.Digits, wrong = report.Results.Count(r => !r.Right);
        w.Append("<h1>Check of the claims</h1>\n<p class=\"summary\">")
            .Append(wrong == 0 ? $"all {report.Results.Count} claims are right" : $"{wrong} of {report.Results.Count} claims are wrong")
            .Append("</p>\n");
        var rows = report.Results.Select(r => ((IReadOnlyList<string>)
        [
            Math(Latex.Name(r.Name)), Escape(Format.Tensor(r.Claimed, d)), Escape(Format.Tensor(r.Computed, d)),
            $"<span class=\"verdict\">{(r.Right ? "right" : "wrong")}</span>",
        ], r.Right ? "right-claim" : (string?)"wrong"));
        Table(w, ["quantity", "claimed", "computed", "verdict"], rows);
        foreach (var b in report.Blames)
        {
            w.Append("<div class=\"blame\">\n").Append($"<p><strong>{Escape(b.Name)} is wrong:</strong> {Escape(b.Why)}</p>\n");
            if (sol.Evaluation.ByName.TryGetValue(b.Name, out var q))
            {
                w.Append("<p>The step, computed:</p>\n").Append(DisplayMath(HtmlRenderer.Equation(q, d)));
            }
            else if (sol.Find(b.Name) is { } v)
            {
                w.Append("<p>Computed:</p>\n").Append(DisplayMath($"{Latex.Name(b.Name)} = {Latex.Tensor(v.Value, d)}"));
            }

            if (b.Downstream.Count > 0)
            {
                w.Append($"<p>{Escape(string.Join(", ", b.Downstream))} {(b.Downstream.Count == 1 ? "is" : "are")} wrong because of it.</p>\n");
            }

            w.Append("</div>\n");
        }
    }
}

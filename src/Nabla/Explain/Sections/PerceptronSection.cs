using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary><c>perceptron:</c> Rosenblatt's rule epoch by epoch on a small table (<see cref="Explain.Perceptron"/>).</summary>
internal sealed class PerceptronSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["perceptron"];

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["perceptron"] is YamlMapping p)
        {
            ex.Perceptron = Exercise.ReadPerceptron(p);
        }
    }

    public void Solve(Solution sol, SolveContext ctx)
    {
        if (sol.Exercise.Perceptron is { } p)
        {
            Perceptron.Train(sol, p);
        }
    }

    public void Text(Solution sol, TextOut o)
    {
        if (sol.Perceptron.Count == 0)
        {
            return;
        }

        int d = o.Digits;
        bool markdown = o.Markdown;
        var w = o.W;
        var p = sol.Exercise.Perceptron!;
        w.Append(markdown ? "\n## Perceptron rule\n\n" : "\nPerceptron rule\n---------------\n");
        w.Append($"{(markdown ? string.Empty : "  ")}y = 1 if w·x ≥ θ else 0; w ← w + η(t − y)x{(p.LearnTheta ? ", θ ← θ − η(t − y)" : $" (θ = {Format.Number(p.Theta, d)} fixed)")}, η = {Format.Number(p.Lr, d)}\n");
        var rows = new List<string[]>();
        foreach (var e in sol.Perceptron.Take(12))
        {
            foreach (var r in e.Rows)
            {
                rows.Add([e.Epoch.ToString(CultureInfo.InvariantCulture), string.Join(",", r.X.Select(v => Format.Number(v, d))), Format.Number(r.Net, d),
                    r.Y.ToString(CultureInfo.InvariantCulture), Format.Number(r.T, d), r.Y == (int)r.T ? "ok" : "update",
                    string.Join(", ", r.WAfter.Select(v => Format.Number(v, d))), Format.Number(r.ThetaAfter, d)]);
            }
        }

        TextRenderer.Table(w, markdown, ["epoch", "x", "w·x", "y", "t", "", "w after", "θ after"], rows);
        string errs = string.Join(", ", sol.Perceptron.Select(e => e.Errors).Take(20));
        w.Append($"{(markdown ? "\n" : "  ")}errors per epoch: {errs}{(sol.Perceptron.Count > 20 ? ", …" : string.Empty)}; {(sol.PerceptronConverged == true ? $"converged after {sol.Perceptron.Count} epochs" : $"not converged after {sol.Perceptron.Count} epochs (at least {sol.Perceptron.Min(e => e.Errors)} error in every epoch)")}\n");
    }

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.Perceptron.Count == 0)
        {
            return;
        }

        root["perceptron"] = new JsonObject
        {
            ["converged"] = sol.PerceptronConverged,
            ["epochs"] = sol.Perceptron.Count,
            ["errors_per_epoch"] = JsonRenderer.Array(sol.Perceptron.Select(e => (double)e.Errors)),
            ["min_errors"] = sol.Perceptron.Min(e => e.Errors),
            ["w_after_epoch"] = new JsonArray(sol.Perceptron.Select(e => (JsonNode)JsonRenderer.Array(e.W)).ToArray()),
            ["theta_after_epoch"] = JsonRenderer.Array(sol.Perceptron.Select(e => e.Theta)),
            ["final_w"] = JsonRenderer.Array(sol.Perceptron[^1].W),
            ["final_theta"] = sol.Perceptron[^1].Theta,
        };
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
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

using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary>
/// <c>hessian: {of: f, wrt: [x, y], at: [[..]], name: H}</c>: gradient, Hessian, eigen-decomposition and the
/// second-derivative test at each point; a named Hessian is computed before the equations, which may use it.
/// </summary>
internal sealed class HessianSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["hessian"];

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["hessian"] is YamlMapping h)
        {
            ex.Hessian = new HessianSpec(Exercise.Str(h["of"]) ?? throw new YamlException("hessian needs 'of'", h),
                Exercise.Names(h["wrt"] ?? throw new YamlException("hessian needs 'wrt: [x, y]'", h), "wrt"),
                h["at"] is { } at ? Exercise.Seq(at, "at").Select(Exercise.Numbers).ToList() : [])
            {
                Names = h["name"] is { } hn ? Exercise.Seq(hn, "name").Select(n => Exercise.Str(n) ?? throw new YamlException("a Hessian's name is a name such as H", n)).ToList() : [],
            };
        }
    }

    public void Prepare(SolveContext ctx)
    {
        if (Calculus.NamedHessian(ctx.Exercise, ctx.Inputs) is { } points)
        {
            ctx.State[this] = points;
        }
    }

    public void Solve(Solution sol, SolveContext ctx) => Calculus.Hessian(sol, ctx.Evaluator!, ctx.State.GetValueOrDefault(this) as List<CriticalPoint>);

    public void Text(Solution sol, TextOut o)
    {
        if (sol.CriticalPoints.Count == 0)
        {
            return;
        }

        var hs = sol.Exercise.Hessian!;
        string Num(double v) => Format.Number(v, o.Digits);
        o.H($"Hessian of {hs.Of} with respect to ({string.Join(", ", hs.Wrt)})");
        foreach (var p in sol.CriticalPoints)
        {
            o.Line($"at ({string.Join(", ", p.At.Select(Num))}): {hs.Of} = {Num(p.F)}, gradient = {o.N(p.Gradient)}, Hessian = {o.N(p.Hessian)}, eigenvalues = [{string.Join(", ", p.Eigenvalues.Select(Num))}]{(p.Eigenvectors is { } vec ? $", eigenvectors (columns) = {o.N(vec)}" : string.Empty)}, det = {Num(p.Determinant)}");
            o.Line($"  → {p.Type}: {p.Reason}");
        }
    }

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.CriticalPoints.Count == 0)
        {
            return;
        }

        var hs = sol.Exercise.Hessian!;
        root["hessian"] = new JsonObject
        {
            ["of"] = hs.Of,
            ["wrt"] = new JsonArray(hs.Wrt.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
            ["names"] = new JsonArray(hs.Names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
            ["points"] = new JsonArray(sol.CriticalPoints.Select(p => (JsonNode)new JsonObject
            {
                ["at"] = JsonRenderer.Array(p.At),
                ["f"] = JsonRenderer.Num(p.F),
                ["gradient"] = JsonRenderer.Value(p.Gradient),
                ["hessian"] = JsonRenderer.Value(p.Hessian),
                ["eigenvalues"] = JsonRenderer.Array(p.Eigenvalues),
                ["eigenvectors"] = p.Eigenvectors is { } vec ? JsonRenderer.Value(vec) : null,
                ["determinant"] = JsonRenderer.Num(p.Determinant),
                ["type"] = p.Type,
                ["reason"] = p.Reason,
            }).ToArray()),
        };
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
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

        HtmlRenderer.Section(w, $"Hessian of {hs.Of} with respect to ({string.Join(", ", hs.Wrt)})", items);
    }
}

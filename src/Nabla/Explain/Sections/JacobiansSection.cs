using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary><c>jacobians: [{of: y, wrt: x, name: J, shape: [r, c]}]</c>: full Jacobians by <see cref="Autograd.Functional"/>.</summary>
internal sealed class JacobiansSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["jacobians"];

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["jacobians"] is not { } jac)
        {
            return;
        }

        foreach (var j in Exercise.Seq(jac, "jacobians"))
        {
            if (j is not YamlMapping jm)
            {
                throw new YamlException("a jacobian is {of: y, wrt: x, name: J, shape: [r, c]}", j);
            }

            string of = Exercise.Str(jm["of"]) ?? throw new YamlException("jacobian needs 'of'", jm);
            string wrt = Exercise.Str(jm["wrt"]) ?? throw new YamlException("jacobian needs 'wrt'", jm);
            ex.Jacobians.Add(new JacobianSpec(of, wrt, Exercise.Str(jm["name"]) ?? $"d{of}/d{wrt}", jm["shape"] is { } s ? Exercise.ShapeOf(s) : null));
        }
    }

    public void Solve(Solution sol, SolveContext ctx) => Calculus.Jacobians(sol, ctx.Evaluator!);

    public void Text(Solution sol, TextOut o)
    {
        foreach (var (spec, j) in sol.Jacobians)
        {
            o.H($"Jacobian {spec.Name} = ∂{spec.Of}/∂{spec.Wrt}");
            o.Line(o.M($"{Latex.Name(spec.Name)} = {Latex.Tensor(j, o.Digits)}", $"{spec.Name} = {o.N(j)}"));
        }
    }

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.Jacobians.Count > 0)
        {
            root["jacobians"] = JsonRenderer.Obj(sol.Jacobians.Select(j => (j.Spec.Name, JsonRenderer.Value(j.Value))));
        }
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
        foreach (var (spec, j) in sol.Jacobians)
        {
            HtmlRenderer.Section(w, $"Jacobian {spec.Name} = ∂{spec.Of}/∂{spec.Wrt}", [(Math($"{Latex.Name(spec.Name)} = \\frac{{\\partial {Latex.Name(spec.Of)}}}{{\\partial {Latex.Name(spec.Wrt)}}} = {Latex.Tensor(j, sol.Digits)}"), wrong.Contains(spec.Name))]);
        }
    }
}

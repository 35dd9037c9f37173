using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary><c>given:</c> the named input values (numbers, nested lists, <c>{png: ..}</c>, <c>{formula: ..}</c>).</summary>
internal sealed class GivenSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["given"];

    public bool Traced => true;

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["given"] is YamlMapping given)
        {
            foreach (var (k, v) in given.Entries)
            {
                ex.Given.Add(Exercise.ReadGiven(k.Value, v, folder));
            }
        }
    }

    public void Solve(Solution sol, SolveContext ctx)
    {
        foreach (var (k, v) in sol.Evaluation.Given)
        {
            sol.Values.Add(new NamedValue(k, v.Detach(), [], "given"));
        }
    }

    public void Text(Solution sol, TextOut o)
    {
        if (sol.Evaluation.Given.Count > 0)
        {
            o.H("Given");
            foreach (var (k, v) in sol.Evaluation.Given)
            {
                o.Line(o.M($"{Latex.Name(k)} = {Latex.Tensor(v, o.Digits)}", $"{k} = {o.N(v)}"));
            }
        }
    }

    public void Json(Solution sol, JsonObject root) => root["given"] = JsonRenderer.Obj(sol.Evaluation.Given.Select(g => (g.Key, JsonRenderer.Value(g.Value))));

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
        if (sol.Evaluation.Given.Count > 0)
        {
            HtmlRenderer.Section(w, "Given", sol.Evaluation.Given.Select(g => (Math($"{Latex.Name(g.Key)} = {Latex.Tensor(g.Value, sol.Digits)}"), false)));
        }
    }
}

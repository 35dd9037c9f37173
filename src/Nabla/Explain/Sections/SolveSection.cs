using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;

namespace Nabla.Explain.Sections;

/// <summary><c>solve:</c> unknowns (numbers or layer sizes) found so that given equations hold (see <see cref="Unknowns"/>).</summary>
internal sealed class SolveSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["solve"];

    public bool Traced => true;

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder) => ex.Solve = top["solve"] is { } solve ? SolveSpec.Read(solve) : null;

    public void Prepare(SolveContext ctx)
    {
        if (ctx.Exercise.Solve is not { } spec)
        {
            return;
        }

        SolveResult solved;
        using (Trace.Pause())
        {
            // Found before the forward pass, as a number the student is given: not part of the trace.
            solved = Unknowns.Solve(ctx.Exercise, spec);
        }

        ctx.State[this] = solved;
        ctx.Models.AddRange(solved.Models);
        foreach (var (k, v) in solved.Values)
        {
            ctx.Inputs[k] = v;
            ctx.Values.Add(new NamedValue(k, v, [], "solved"));
        }
    }

    public void Solve(Solution sol, SolveContext ctx) => sol.Solved = ctx.State.GetValueOrDefault(this) as SolveResult;

    public void Text(Solution sol, TextOut o) => SolveRenderer.Text(o.W, sol, o.Markdown);

    public void Json(Solution sol, JsonObject root)
    {
        if (SolveRenderer.Json(sol) is { } solve)
        {
            root["solve"] = solve;
        }
    }
}

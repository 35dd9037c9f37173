using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain.Sections;

/// <summary>
/// <c>optimizer:</c> steps of a real optimizer (<see cref="Nabla.Optim.OptimizerRegistry"/>) on the loss's gradients,
/// the trajectory and the forward pass after them, and <c>after:</c>, equations evaluated after the steps.
/// </summary>
internal sealed class OptimizerSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["optimizer", "after"];

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["after"] is { } afterEqs)
        {
            ex.AfterNode = afterEqs;
            ex.After.AddRange(Exercise.Seq(afterEqs, "after").Select(Exercise.ReadEquation));
        }

        if (top["optimizer"] is YamlMapping o)
        {
            ex.Optimizer = Exercise.ReadOptimizer(o, ex.Gradients.Select(g => g.Name).Where(n => ex.Given.Any(g => g.Name == n)).ToList());
        }
    }

    public void Solve(Solution sol, SolveContext ctx)
    {
        if (sol.Exercise.Optimizer is { } opt)
        {
            Trajectory.Optimize(sol, ctx.Evaluator!, opt);
        }

        if (sol.Exercise.After.Count > 0)
        {
            Trajectory.After(sol);
        }
    }

    public void Text(Solution sol, TextOut o)
    {
        Steps(sol, o);
        TrajectoryRenderer.Text(sol, o.W, o.Markdown, o.Digits);
    }

    private static void Steps(Solution sol, TextOut o)
    {
        if (sol.OptimizerSteps.Count == 0)
        {
            return;
        }

        int d = o.Digits;
        var spec = sol.Exercise.Optimizer!;
        string rule = spec.RuleText;
        o.W.Append(o.Markdown ? $"\n## Update ({spec.Type}, lr = {Format.Number(spec.Lr, d)})\n\n`{rule}`\n\n" : $"\nUpdate ({spec.Type}, lr = {Format.Number(spec.Lr, d)}): {rule}\n");
        foreach (var s in sol.OptimizerSteps)
        {
            foreach (var p in s.Params)
            {
                string state = string.Join(", ", p.State.Select(kv => $"{kv.Key} = {Format.Tensor(kv.Value, d)}"));
                string updated = Explain.Steps.Name(p.Param, s.Step, sol.OptimizerSteps.Count);
                string line = spec.IsPlainSgd
                    ? $"step {s.Step}: {updated} = {Format.Tensor(p.Before, d)} − {Format.Number(spec.Lr, d)}·({Format.Tensor(p.Grad, d)}) = {Format.Tensor(p.After, d)}"
                    : $"step {s.Step}: g = {Format.Tensor(p.Grad, d)}, {state}; {updated} = {Format.Tensor(p.After, d)}";
                o.W.Append(o.Markdown ? $"- {line}\n" : $"  {line}\n");
            }
        }

        string after = sol.LossAfter is { } la
            ? $"{sol.Loss!.Name}' = {Format.Number(la, d)} (before: {Format.Number(sol.OptimizerSteps[0].Loss, d)})"
            : $"{sol.Loss!.Name}' is not a number at the updated parameters: {sol.LossAfterError}";
        o.W.Append(o.Markdown ? $"- {after}\n" : $"  {after}\n");
    }

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.OptimizerSteps.Count > 0)
        {
            var spec = sol.Exercise.Optimizer!;
            root["optimizer"] = new JsonObject
            {
                ["type"] = spec.Type,
                ["lr"] = spec.Lr,
                ["options"] = JsonRenderer.Obj(spec.Options.Select(o => (o.Key, (JsonNode?)JsonValue.Create(o.Value)))),
                ["steps"] = new JsonArray(sol.OptimizerSteps.Select(s => (JsonNode)new JsonObject
                {
                    ["step"] = s.Step,
                    ["loss"] = JsonRenderer.Num(s.Loss),
                    ["params"] = JsonRenderer.Obj(s.Params.Select(p => (p.Param, (JsonNode?)new JsonObject
                    {
                        ["before"] = JsonRenderer.Value(p.Before),
                        ["grad"] = JsonRenderer.Value(p.Grad),
                        ["after"] = JsonRenderer.Value(p.After),
                        ["state"] = JsonRenderer.Obj(p.State.Select(kv => (kv.Key, JsonRenderer.Value(kv.Value)))),
                    }))),
                }).ToArray()),
                ["params_after"] = JsonRenderer.Obj(sol.ParamsAfter.Select(p => (p.Key, JsonRenderer.Value(p.Value)))),
                ["loss_after"] = sol.LossAfter is { } la ? JsonRenderer.Num(la) : null,
            };
            if (sol.LossAfterError is { } why)
            {
                root["optimizer"]!["loss_after_error"] = why;
            }
        }

        TrajectoryRenderer.Json(sol, root);
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
        if (sol.OptimizerSteps.Count == 0)
        {
            return;
        }

        int d = sol.Digits;
        var spec = sol.Exercise.Optimizer!;
        string rule = spec.IsPlainAdam
            ? "m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\; v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\; \\hat m = \\frac{m}{1-\\beta_1^t},\\; \\hat v = \\frac{v}{1-\\beta_2^t},\\; \\theta \\leftarrow \\theta - \\eta \\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}"
            : spec.IsPlainSgd ? "\\theta \\leftarrow \\theta - \\eta\\, g"
            : $"\\theta \\leftarrow \\text{{{spec.Type}}}(\\theta, g)";
        w.Append($"<h2>Update ({Escape(spec.Type)}, {Math($"\\eta = {Format.Number(spec.Lr, d)}")})</h2>\n").Append(DisplayMath(rule));
        var rows = sol.OptimizerSteps.SelectMany(s => s.Params.Select(p => ((IReadOnlyList<string>)
        [
            s.Step.ToString(CultureInfo.InvariantCulture), Math(Latex.Name(p.Param)), Math(Latex.Tensor(p.Before, d)), Math(Latex.Tensor(p.Grad, d)),
            Escape(string.Join(", ", p.State.Select(kv => $"{kv.Key} = {Format.Tensor(kv.Value, d)}"))),
            Math(Latex.Tensor(p.After, d)),
        ], wrong.Contains($"{p.Param}'") ? "wrong" : (string?)null)));
        Table(w, ["step", "parameter θ", "before", "gradient g", "state", "after θ′"], rows);
        string lossName = sol.Loss!.Name;
        w.Append("<ul class=\"math\">\n").Append(wrong.Contains($"{lossName}'") ? "<li class=\"wrong\">" : "<li>")
            .Append(Math($"{Latex.Name(lossName)}' = {Format.Number(sol.LossAfter ?? double.NaN, d)}"))
            .Append($" (before the update: {Math(Format.Number(sol.OptimizerSteps[0].Loss, d))})</li>\n</ul>\n");
    }
}

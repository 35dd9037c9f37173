using System.Text;
using System.Text.Json.Nodes;

namespace Nabla.Explain;

/// <summary>
/// What optimizer steps lead to, for equations and layer models alike: the table of every step (parameters,
/// gradients, optimizer state, loss before and after), the forward pass again at the parameters after the last step,
/// and the equations of <c>after:</c>; as text, Markdown or JSON.
/// </summary>
internal static class TrajectoryRenderer
{
    // Adam's "step" state is the step number, already the first column: the tables leave it out (JSON and claims keep it).

    /// <summary>The step table (from two steps on; one step is the update lines), the forward pass after the steps and <c>after:</c>.</summary>
    public static void Text(Solution sol, StringBuilder w, bool markdown, int d)
    {
        void H(string title) => w.Append(markdown ? $"\n## {title}\n\n" : $"\n{title}\n{new string('-', title.Length)}\n");
        void Line(string text) => w.Append(markdown ? $"- {text}\n" : $"  {text}\n");
        string N(Tensor t) => Format.Tensor(t, d, 12);
        int n = sol.OptimizerSteps.Count;
        if (n > 1)
        {
            string l = sol.Loss!.Name;
            var keys = sol.OptimizerSteps.SelectMany(s => s.Params.SelectMany(p => p.State.Keys)).Distinct().Where(k => k != "step").ToList();
            var rows = new List<string[]>();
            foreach (var s in sol.OptimizerSteps)
            {
                string after = s.Step < n || sol.LossAfter is not null ? Format.Tensor(sol.Find(Steps.Name(l, s.Step, n))!.Value, d) : "(not a number)";
                rows.AddRange(s.Params.Select((p, i) => new[] { i == 0 ? $"{s.Step}" : string.Empty, i == 0 ? Format.Number(s.Loss, d) : string.Empty, p.Param, N(p.Before), N(p.Grad) }
                    .Concat(keys.Select(k => p.State.TryGetValue(k, out var v) ? N(v) : string.Empty))
                    .Concat([N(p.After), i == 0 ? after : string.Empty]).ToArray()));
            }

            H($"Trajectory ({n} steps; after step k a value q is q@k, after the last q')");
            TextRenderer.Table(w, markdown, ["step", $"{l} before", "θ", "before", $"d{l}/dθ", .. keys, "after", $"{l} after"], rows);
        }

        if (sol.StepEvaluations.Count > 0 && sol.StepEvaluations[^1] is { } final)
        {
            H($"Forward pass at the parameters after {(n == 1 ? "the update" : $"step {n}")}");
            foreach (var q in final.Quantities)
            {
                string subst = TextRenderer.Substitute(q, q.Equation.Rhs, d, markdown);
                string value = markdown ? Latex.Tensor(q.Value, d) : Format.Tensor(q.Value, d);
                string body = $"{(markdown ? Latex.Name(q.Name) : q.Name)}'{(subst != value ? $" = {subst}" : string.Empty)} = {value}";
                Line(markdown ? $"${body}$" : body);
            }
        }

        if (sol.AfterEvaluation is { } ev)
        {
            H("After the optimizer");
            foreach (var q in ev.Quantities)
            {
                string subst = TextRenderer.Substitute(q, q.Equation.Rhs, d, markdown);
                Line(markdown ? $"${Latex.Name(q.Name)} = {Latex.Expr(q.Equation.Rhs, q)} = {subst} = {Latex.Tensor(q.Value, d)}$"
                    : $"{q.Name} = {q.Equation.RhsText} = {subst} = {Format.Tensor(q.Value, d)}");
            }
        }
    }

    /// <summary>Adds the loss after each step, the forward pass after the last and the <c>after:</c> quantities to the JSON.</summary>
    public static void Json(Solution sol, JsonObject root)
    {
        int n = sol.OptimizerSteps.Count;
        if (root["optimizer"] is JsonObject opt && opt["steps"] is JsonArray steps)
        {
            for (int k = 1; k <= n; k++)
            {
                var l = sol.Find(Steps.Name(sol.Loss!.Name, k, n));
                steps[k - 1]!["loss_after"] = l is null ? null : JsonRenderer.Value(l.Value);
            }

            if (sol.StepEvaluations.Count > 0 && sol.StepEvaluations[^1] is { } final)
            {
                opt["forward_after"] = Quantities(final);
            }
        }

        if (sol.AfterEvaluation is { } ev)
        {
            root["after"] = Quantities(ev);
        }
    }

    private static JsonObject Quantities(Evaluation ev)
    {
        var o = new JsonObject();
        foreach (var q in ev.Quantities)
        {
            o[q.Name] = JsonRenderer.Value(q.Value);
        }

        foreach (var (fam, members) in ev.Families.Where(f => !ev.ByName.ContainsKey(f.Key) && f.Value.Values.All(ev.Quantities.Contains)))
        {
            o[fam] = JsonRenderer.Value(ev.Lookup(fam)!);
        }

        return o;
    }

    /// <summary>A run's steps (from two on) and its forward pass after the last step, as tables.</summary>
    public static void RunText(StringBuilder w, ModelRun run, bool markdown, int d)
    {
        if (run.Steps.Count == 0)
        {
            return;
        }

        void H(string title) => w.Append(markdown ? $"\n## {title}\n\n" : $"\n{title}\n{new string('-', title.Length)}\n");
        string S(Tensor t) => TensorSummary.Text(t, d);
        int n = run.Steps.Count;
        if (n > 1)
        {
            var rows = new List<string[]>();
            foreach (var s in run.Steps)
            {
                rows.AddRange(s.Params.Select((u, i) => new[] { i == 0 ? $"{s.Step}" : string.Empty, i == 0 ? Format.Number(s.LossBefore, d) : string.Empty,
                    u.Param.Name, TensorSummary.Gradient(u.Grad, d), S(u.After), string.Join("; ", u.State.Where(kv => kv.Key != "step").Select(kv => $"{kv.Key} {S(kv.Value)}")),
                    i == 0 ? Format.Number(s.Loss, d) : string.Empty }));
            }

            H($"Model {run.Name}: trajectory ({n} steps; after step k a value q is q@k, after the last q')");
            TextRenderer.Table(w, markdown, ["step", "loss before", "θ", "dL/dθ", "θ after", "state after", "loss after"], rows, leftAligned: true);
        }

        var last = run.Steps[^1];
        H($"Model {run.Name}: forward pass at the parameters after {(n == 1 ? "the update" : $"step {n}")}");
        TextRenderer.Table(w, markdown, ["layer", "output'"], run.Layers.Select(l => new[] { l.Label, S(last.Outputs[l.Index]) }).ToList(), leftAligned: true);
        w.Append(markdown ? $"- loss' = {Format.Number(last.Loss, d)}\n" : $"  loss' = {Format.Number(last.Loss, d)}\n");
    }

    /// <summary>A run's steps and forward pass after the last, for its JSON <c>optimizer</c> object.</summary>
    public static void RunJson(ModelRun run, JsonObject opt)
    {
        if (run.Steps.Count == 0)
        {
            return;
        }

        opt["steps"] = new JsonArray(run.Steps.Select(s => (JsonNode)new JsonObject
        {
            ["step"] = s.Step,
            ["loss"] = s.LossBefore,
            ["loss_after"] = s.Loss,
            ["params"] = Obj(s.Params.Select(u => (u.Param.Name, (JsonNode)new JsonObject
            {
                ["before"] = TensorSummary.Json(u.Before),
                ["grad"] = TensorSummary.Json(u.Grad),
                ["after"] = TensorSummary.Json(u.After),
                ["state"] = Obj(u.State.Select(kv => (kv.Key, (JsonNode)TensorSummary.Json(kv.Value)))),
            }))),
        }).ToArray());
        var last = run.Steps[^1];
        opt["forward_after"] = new JsonObject
        {
            ["layers"] = Obj(run.Layers.Select(l => (l.Label, (JsonNode)TensorSummary.Json(last.Outputs[l.Index])))),
            ["loss"] = last.Loss,
        };
    }

    private static JsonObject Obj(IEnumerable<(string Key, JsonNode Value)> items)
    {
        var o = new JsonObject();
        foreach (var (k, v) in items)
        {
            o[k] = v;
        }

        return o;
    }
}

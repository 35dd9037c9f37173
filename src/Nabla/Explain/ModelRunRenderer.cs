using System.Text;
using System.Text.Json.Nodes;

namespace Nabla.Explain;

/// <summary>
/// A model run layer by layer, not scalar by scalar: the forward table (what each layer computes, input → output
/// shape, a summary of its output), the loss, the backward table (the norm of dL/d of each layer's output and of
/// each parameter, with the first values) and the optimizer update; as text, Markdown or JSON.
/// </summary>
internal static class ModelRunRenderer
{
    public static void Text(StringBuilder w, ModelRun run, bool markdown, int d)
    {
        void H(string title) => w.Append(markdown ? $"\n## {title}\n\n" : $"\n{title}\n{new string('-', title.Length)}\n");
        void Line(string text) => w.Append(markdown ? $"- {text}\n" : $"  {text}\n");
        string S(Tensor t) => TensorSummary.Text(t, d);
        string Shape(Tensor t) => t.Shape.ToString();

        H($"Model {run.Name}: forward pass");
        Line($"input {Shape(run.Input)}: {S(run.Input)}");
        Line($"weights: {run.Weights}; {(run.Spec.Train ? "training" : "evaluation")} mode; Float64");
        TextRenderer.Table(w, markdown, ["layer", "type", "computes", "input → output", "output"],
            run.Layers.Select(l => new[] { l.Label, l.Type, l.Formula, $"{Shape(l.Input)} → {Shape(l.Output)}", S(l.Output) }).ToList(), leftAligned: true);
        if (run.Loss is not { } loss)
        {
            return;
        }

        var spec = run.Spec.Loss!;
        Line($"loss = {spec.Type}(output, target = {Format.Tensor(run.Target!, d)}), reduction {spec.Reduction.ToString().ToLowerInvariant()} = {Format.Number(loss, d)}");
        H($"Model {run.Name}: backward pass (reverse mode, last layer first)");
        Line("dL/dy of each layer's output and dL/dθ of each parameter; ‖·‖ is the Euclidean (Frobenius) norm");
        var rows = new List<string[]>();
        foreach (var l in run.Layers.AsEnumerable().Reverse())
        {
            rows.Add([l.Label, TensorSummary.Gradient(l.GradOutput!, d), l.Params.Count == 0 ? "(none)" : $"{l.Params[0].Name} {l.Params[0].Grad!.Shape}",
                l.Params.Count == 0 ? string.Empty : TensorSummary.Gradient(l.Params[0].Grad!, d)]);
            rows.AddRange(l.Params.Skip(1).Select(p => new[] { string.Empty, string.Empty, $"{p.Name} {p.Grad!.Shape}", TensorSummary.Gradient(p.Grad!, d) }));
        }

        TextRenderer.Table(w, markdown, ["layer", "dL/dy (its output)", "parameter θ", "dL/dθ"], rows, leftAligned: true);
        if (run.Spec.Optimizer is not { } opt || run.StepLosses.Count == 0)
        {
            return;
        }

        string rule = opt.RuleText;
        H($"Model {run.Name}: update ({opt.Type}, lr = {Format.Number(opt.Lr, d)}, {run.StepLosses.Count} step{(run.StepLosses.Count == 1 ? string.Empty : "s")}): {rule}");
        TextRenderer.Table(w, markdown, ["parameter", "before", "after"],
            run.Layers.SelectMany(l => l.Params).Select(p => new[] { $"{p.Name}'", S(p.Value), S(p.After!) }).ToList(), leftAligned: true);
        Line($"loss per step: {string.Join(", ", run.StepLosses.Select(v => Format.Number(v, d)))}; after the update: {Format.Number(run.LossAfter ?? double.NaN, d)}");
        TrajectoryRenderer.RunText(w, run, markdown, d);
    }

    public static JsonObject Json(ModelRun run)
    {
        var layers = new JsonObject();
        foreach (var l in run.Layers)
        {
            var ps = new JsonObject();
            foreach (var p in l.Params)
            {
                var po = new JsonObject { ["name"] = p.Name, ["value"] = TensorSummary.Json(p.Value) };
                if (p.Grad is not null)
                {
                    po["grad"] = TensorSummary.Json(p.Grad);
                }

                if (p.After is not null)
                {
                    po["after"] = TensorSummary.Json(p.After);
                    po["state"] = Obj(p.State.Select(kv => (kv.Key, (JsonNode)TensorSummary.Json(kv.Value))));
                }

                ps[p.Local] = po;
            }

            var lo = new JsonObject
            {
                ["index"] = l.Index,
                ["type"] = l.Type,
                ["formula"] = l.Formula,
                ["input_shape"] = Shape(l.Input),
                ["output_shape"] = Shape(l.Output),
                ["ops"] = new JsonArray(l.Ops.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
                ["output"] = TensorSummary.Json(l.Output),
            };
            if (l.GradOutput is not null)
            {
                lo["grad_output"] = TensorSummary.Json(l.GradOutput);
            }

            lo["params"] = ps;
            layers[l.Label] = lo;
        }

        var o = new JsonObject
        {
            ["mode"] = run.Spec.Train ? "train" : "eval",
            ["weights"] = run.Weights,
            ["input"] = TensorSummary.Json(run.Input),
            ["layers"] = layers,
            ["output"] = TensorSummary.Json(run.Output),
        };
        if (run.Loss is { } loss)
        {
            o["target"] = JsonRenderer.Value(run.Target!);
            o["loss"] = new JsonObject { ["type"] = run.Spec.Loss!.Type, ["reduction"] = run.Spec.Loss.Reduction.ToString().ToLowerInvariant(), ["value"] = loss };
        }

        if (run.Spec.Optimizer is { } opt && run.StepLosses.Count > 0)
        {
            o["optimizer"] = new JsonObject
            {
                ["type"] = opt.Type,
                ["lr"] = opt.Lr,
                ["options"] = Obj(opt.Options.Select(kv => (kv.Key, (JsonNode)JsonValue.Create(kv.Value)))),
                ["losses"] = new JsonArray(run.StepLosses.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                ["loss_after"] = run.LossAfter,
            };
            TrajectoryRenderer.RunJson(run, (JsonObject)o["optimizer"]!);
        }

        return o;
    }

    private static JsonArray Shape(Tensor t) => new(t.Shape.ToArray().Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());

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

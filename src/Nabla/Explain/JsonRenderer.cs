using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nabla.Explain;

/// <summary>The solution as JSON: every named quantity at full precision (the format is documented in docs/explain.md).</summary>
internal static class JsonRenderer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Render(Solution sol) => ToJson(sol).ToJsonString(Indented);

    public static JsonObject ToJson(Solution sol)
    {
        var ex = sol.Exercise;
        var ev = sol.Evaluation;
        var root = new JsonObject { ["id"] = ex.Id };
        if (ex.Title is not null)
        {
            root["title"] = ex.Title;
        }

        root["given"] = Obj(ev.Given.Select(g => (g.Key, Value(g.Value))));
        if (SolveRenderer.Json(sol) is { } solve)
        {
            root["solve"] = solve;
        }

        var quantities = new JsonObject();
        foreach (var q in ev.Quantities)
        {
            quantities[q.Name] = Value(q.Value);
        }

        foreach (var fam in ev.Families.Keys.Where(f => !ev.ByName.ContainsKey(f)))
        {
            quantities[fam] = Value(ev.Lookup(fam)!);
        }

        root["quantities"] = quantities;
        root["equations"] = new JsonArray(ev.Quantities.Select(q => (JsonNode)new JsonObject
        {
            ["name"] = q.Name,
            ["equation"] = q.Equation.Text,
            ["formula"] = q.Formula,
            ["deps"] = new JsonArray(q.Deps.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
            ["value"] = Value(q.Value),
        }).ToArray());
        if (sol.Loss is { } loss)
        {
            root["loss"] = new JsonObject { ["name"] = loss.Name, ["value"] = Value(loss.Value) };
            root["adjoints"] = Obj(sol.Adjoints.Select(a => ($"d{loss.Name}/d{a.Key}", Value(a.Value))));
            if (sol.OtherLosses.Count > 0)
            {
                root["losses"] = Obj(sol.OtherLosses.Prepend(loss).Select(l => (l.Name, Value(l.Value))));
            }
        }

        if (sol.Gradients.Count > 0)
        {
            root["gradients"] = Obj(sol.Gradients.Select(g => (g.Name, Value(g.Value))));
            root["chain_rule"] = Obj(sol.Gradients.Where(g => g.Terms.Count > 0).Select(g => (g.Name, (JsonNode?)new JsonArray(g.Terms.Select(t =>
                (JsonNode)new JsonObject { ["via"] = t.User, ["upstream"] = Value(t.Upstream), ["local"] = Value(t.Local) }).ToArray()))));
        }

        if (sol.Sensitivities.Count > 0)
        {
            root["sensitivities"] = Obj(sol.Sensitivities.Select(s => ($"d{s.Family}/d{s.Wrt}", (JsonNode?)new JsonArray(s.Values.Select(v => (JsonNode)JsonValue.Create(v.Value)!).ToArray()))));
        }

        if (sol.Jacobians.Count > 0)
        {
            root["jacobians"] = Obj(sol.Jacobians.Select(j => (j.Spec.Name, Value(j.Value))));
        }

        if (sol.CriticalPoints.Count > 0)
        {
            root["hessian"] = new JsonObject
            {
                ["of"] = ex.Hessian!.Of,
                ["wrt"] = new JsonArray(ex.Hessian.Wrt.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
                ["names"] = new JsonArray(ex.Hessian.Names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["points"] = new JsonArray(sol.CriticalPoints.Select(p => (JsonNode)new JsonObject
                {
                    ["at"] = Array(p.At),
                    ["f"] = Num(p.F),
                    ["gradient"] = Value(p.Gradient),
                    ["hessian"] = Value(p.Hessian),
                    ["eigenvalues"] = Array(p.Eigenvalues),
                    ["eigenvectors"] = p.Eigenvectors is { } vec ? Value(vec) : null,
                    ["determinant"] = Num(p.Determinant),
                    ["type"] = p.Type,
                    ["reason"] = p.Reason,
                }).ToArray()),
            };
        }

        if (sol.OptimizerSteps.Count > 0)
        {
            var spec = ex.Optimizer!;
            root["optimizer"] = new JsonObject
            {
                ["type"] = spec.Type,
                ["lr"] = spec.Lr,
                ["options"] = Obj(spec.Options.Select(o => (o.Key, (JsonNode?)JsonValue.Create(o.Value)))),
                ["steps"] = new JsonArray(sol.OptimizerSteps.Select(s => (JsonNode)new JsonObject
                {
                    ["step"] = s.Step,
                    ["loss"] = Num(s.Loss),
                    ["params"] = Obj(s.Params.Select(p => (p.Param, (JsonNode?)new JsonObject
                    {
                        ["before"] = Value(p.Before),
                        ["grad"] = Value(p.Grad),
                        ["after"] = Value(p.After),
                        ["state"] = Obj(p.State.Select(kv => (kv.Key, Value(kv.Value)))),
                    }))),
                }).ToArray()),
                ["params_after"] = Obj(sol.ParamsAfter.Select(p => (p.Key, Value(p.Value)))),
                ["loss_after"] = sol.LossAfter is { } la ? Num(la) : null,
            };
            if (sol.LossAfterError is { } why)
            {
                root["optimizer"]!["loss_after_error"] = why;
            }
        }

        if (sol.Models.Count > 0)
        {
            root["models"] = Obj(sol.Models.Select(m => (m.Name, (JsonNode?)new JsonObject
            {
                ["input"] = Array(m.Summary.InputShape.ToArray().Select(d => (double)d)),
                ["output"] = Array(m.Summary.OutputShape.ToArray().Select(d => (double)d)),
                ["params"] = m.Summary.Totals.Params,
                ["trainable"] = m.Summary.Totals.Trainable,
                ["non_trainable"] = m.Summary.Totals.NonTrainable,
                ["macs"] = m.Summary.Totals.Macs,
                ["layers"] = Obj(m.Summary.Rows.Where(r => r.Path.Length > 0).Select(r => (r.Label, (JsonNode?)new JsonObject
                {
                    ["type"] = r.Type,
                    ["output_shape"] = Array(r.OutputShape.ToArray().Select(d => (double)d)),
                    ["params"] = r.Params,
                    ["trainable"] = r.Trainable,
                    ["non_trainable"] = r.NonTrainable,
                    ["macs"] = r.Macs,
                    ["rf"] = r.ReceptiveField is { } rf ? Array(rf.SpatialDims == 1 ? [rf.Width.Size] : [rf.Height.Size, rf.Width.Size]) : null,
                }))),
            })));
            foreach (var run in sol.Runs)
            {
                root["models"]![run.Name]!["run"] = ModelRunRenderer.Json(run);
            }
        }

        if (sol.Perceptron.Count > 0)
        {
            root["perceptron"] = new JsonObject
            {
                ["converged"] = sol.PerceptronConverged,
                ["epochs"] = sol.Perceptron.Count,
                ["errors_per_epoch"] = Array(sol.Perceptron.Select(e => (double)e.Errors)),
                ["min_errors"] = sol.Perceptron.Min(e => e.Errors),
                ["w_after_epoch"] = new JsonArray(sol.Perceptron.Select(e => (JsonNode)Array(e.W)).ToArray()),
                ["theta_after_epoch"] = Array(sol.Perceptron.Select(e => e.Theta)),
                ["final_w"] = Array(sol.Perceptron[^1].W),
                ["final_theta"] = sol.Perceptron[^1].Theta,
            };
        }

        TrajectoryRenderer.Json(sol, root);
        root["trace"] = new JsonObject
        {
            ["forward_ops"] = sol.Trace.Count(s => s.Phase == TracePhase.Forward),
            ["backward_ops"] = sol.Trace.Count(s => s.Phase == TracePhase.Backward),
        };
        return root;
    }

    private static JsonObject Obj(IEnumerable<(string Key, JsonNode? Value)> items)
    {
        var o = new JsonObject();
        foreach (var (k, v) in items)
        {
            o[k] = v;
        }

        return o;
    }

    private static JsonArray Array(IEnumerable<double> values) => new(values.Select(v => (JsonNode?)Num(v)).ToArray());

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A tensor as a number (scalar) or nested arrays.</summary>
    public static JsonNode? Value(Tensor t)
    {
        var values = t.Detach().ToDoubleArray();
        if (t.Rank == 0)
        {
            return Num(values[0]);
        }

        int index = 0;
        return Nest(t.Shape.ToArray(), 0, values, ref index);
    }

    private static JsonArray Nest(int[] shape, int dim, double[] values, ref int index)
    {
        var a = new JsonArray();
        for (int i = 0; i < shape[dim]; i++)
        {
            a.Add(dim == shape.Length - 1 ? Num(values[index++]) : Nest(shape, dim + 1, values, ref index));
        }

        return a;
    }
}

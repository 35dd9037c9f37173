using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nabla.Analysis;
using Nabla.Formats;

namespace Nabla.Explain.Sections;

/// <summary>
/// <c>models:</c> layer models in the model-file format: each one's summary (shape analysis) and, with <c>run:</c>,
/// its execution layer by layer (<see cref="ModelRunner"/>). Their totals and run values are inputs of the equations.
/// </summary>
internal sealed class ModelsSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["models"];

    public bool Traced => true;

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["models"] is not YamlMapping models)
        {
            return;
        }

        foreach (var (k, v) in models.Entries)
        {
            if (ex.Solve is { } spec && spec.Mentions(v))
            {
                spec.AddTemplate(k.Value, v, folder);
            }
            else
            {
                ex.Models.Add(ExerciseModel.Read(k.Value, v, folder));
            }
        }
    }

    /// <summary>Each model's summary and run; exports (which lose to solved unknowns of one name) and run values become inputs.</summary>
    public void Prepare(SolveContext ctx)
    {
        var ex = ctx.Exercise;
        var exports = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var models = new List<(string, ModelSummary)>();
        var runs = new List<ModelRun>();
        var given = ex.Given.GroupBy(g => g.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        foreach (var model in ex.Models.Concat(ctx.Models))
        {
            var (name, def, node) = (model.Name, model.Definition, model.Node);
            Tensor? batch = null;
            if (model.Run is not null)
            {
                (def, batch) = ModelRunner.PrepareInput(model, given);
            }

            models.Add((name, Solver.Describe(name, def, node, exports)));
            if (batch is not null)
            {
                runs.Add(ModelRunner.Run(model, def, batch, given, ctx.Trace));
            }
        }

        foreach (var (k, v) in exports)
        {
            ctx.Inputs.TryAdd(k, v);
            ctx.Values.Add(new NamedValue(k, v, [], "model"));
        }

        var runValues = runs.SelectMany(ModelRunner.Values).ToList();
        foreach (var v in runValues.Where(v => !v.Name.Contains('/', StringComparison.Ordinal) && !Steps.IsStepped(v.Name)))
        {
            ctx.Inputs[v.Name] = v.Value;
        }

        ctx.Values.AddRange(runValues);
        ctx.State[this] = (models, runs);
    }

    public void Solve(Solution sol, SolveContext ctx)
    {
        if (ctx.State.GetValueOrDefault(this) is not (List<(string, ModelSummary)> models, List<ModelRun> runs))
        {
            return;
        }

        sol.Models.AddRange(models);
        sol.Runs.AddRange(runs);
        foreach (var run in runs.Where(r => r.Steps.Count > 0))
        {
            Steps.AddAliases(sol, ModelRunner.Values(run).Select(v => v.Name), run.Steps.Count);
        }
    }

    public void Text(Solution sol, TextOut o)
    {
        foreach (var (name, s) in sol.Models)
        {
            o.H($"Model {name} (input {s.InputShape})");
            var rows = s.Rows.Where(r => r.Path.Length > 0).ToList();
            TextRenderer.Table(o.W, o.Markdown, ["layer", "type", "output shape", "params", "MACs", "receptive field"],
                rows.Select(r => new[] { r.Label, r.Type, r.OutputShape.ToString(), r.Params.ToString("N0", CultureInfo.InvariantCulture),
                    r.Macs.ToString("N0", CultureInfo.InvariantCulture), r.ReceptiveField is { } rf ? $"{rf.Height.Size}x{rf.Width.Size}" : string.Empty }).ToList());
            o.Line($"total: {s.Totals.Params:N0} parameters ({s.Totals.Trainable:N0} trainable, {s.Totals.NonTrainable:N0} non-trainable), {s.Totals.Macs:N0} MACs, output {s.OutputShape}");
            if (sol.Runs.FirstOrDefault(r => r.Name == name) is { } run)
            {
                ModelRunRenderer.Text(o.W, run, o.Markdown, o.Digits);
            }
        }
    }

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.Models.Count == 0)
        {
            return;
        }

        root["models"] = JsonRenderer.Obj(sol.Models.Select(m => (m.Name, (JsonNode?)new JsonObject
        {
            ["input"] = Dims(m.Summary.InputShape),
            ["output"] = Dims(m.Summary.OutputShape),
            ["params"] = m.Summary.Totals.Params,
            ["trainable"] = m.Summary.Totals.Trainable,
            ["non_trainable"] = m.Summary.Totals.NonTrainable,
            ["macs"] = m.Summary.Totals.Macs,
            ["layers"] = JsonRenderer.Obj(m.Summary.Rows.Where(r => r.Path.Length > 0).Select(r => (r.Label, (JsonNode?)new JsonObject
            {
                ["type"] = r.Type,
                ["output_shape"] = Dims(r.OutputShape),
                ["params"] = r.Params,
                ["trainable"] = r.Trainable,
                ["non_trainable"] = r.NonTrainable,
                ["macs"] = r.Macs,
                ["rf"] = r.ReceptiveField is { } rf ? JsonRenderer.Array(rf.SpatialDims == 1 ? [rf.Width.Size] : [rf.Height.Size, rf.Width.Size]) : null,
            }))),
        })));
        foreach (var run in sol.Runs)
        {
            root["models"]![run.Name]!["run"] = ModelRunRenderer.Json(run);
        }
    }

    public void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
        foreach (var (name, summary) in sol.Models)
        {
            HtmlModels.Summary(w, name, summary);
            if (sol.Runs.FirstOrDefault(r => r.Name == name) is { } run)
            {
                HtmlModels.Run(w, run, sol.Digits);
            }
        }
    }

    private static JsonArray Dims(Shape s) => JsonRenderer.Array(s.ToArray().Select(d => (double)d));
}

using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Explain;

/// <summary>
/// Solves an exercise with the engine: layer models by shape analysis (<see cref="Analysis.ModelSummary"/>),
/// equations on Float64 tensors under an active <see cref="Nabla.Trace"/>, gradients by reverse-mode autograd,
/// Jacobians and Hessians by <see cref="Autograd.Functional"/>, updates by the real optimizers (<see cref="OptimizerRegistry"/>).
/// </summary>
internal static class Solver
{
    public static Solution Solve(Exercise ex, int? digits = null)
    {
        using var cap = Tensor.LimitElements(Exercise.MaxElements);
        try
        {
            return SolveCore(ex, digits);
        }
        catch (TensorTooLargeException e)
        {
            throw new YamlException($"the exercise is too large: {e.Message}");
        }
    }

    private static Solution SolveCore(Exercise ex, int? digits)
    {
        Evaluator evaluator;
        Evaluation ev;
        List<CriticalPoint>? hessian;
        Solution sol;
        var solved = ex.Solve is { } solve ? Unknowns.Solve(ex, solve) : null;
        using (var trace = Trace.Capture())
        {
            var (models, runs, exports) = Models(ex, trace, solved?.Models ?? []);
            var equationInputs = new Dictionary<string, Tensor>(exports, StringComparer.Ordinal);
            foreach (var (k, v) in solved?.Values ?? [])
            {
                equationInputs[k] = v;
            }

            var runValues = runs.SelectMany(ModelRunner.Values).ToList();
            foreach (var v in runValues.Where(v => !v.Name.Contains('/', StringComparison.Ordinal) && !Steps.IsStepped(v.Name)))
            {
                equationInputs[v.Name] = v.Value;
            }

            hessian = Calculus.NamedHessian(ex, equationInputs);
            evaluator = new Evaluator(ex, equationInputs);
            ev = evaluator.Run();
            sol = new Solution { Exercise = ex, Evaluation = ev, Trace = trace.Steps, Digits = digits ?? ex.Digits ?? 6 };
            sol.Models.AddRange(models);
            sol.Runs.AddRange(runs);
            sol.Solved = solved;
            foreach (var (k, v) in solved?.Values ?? [])
            {
                sol.Values.Add(new NamedValue(k, v, [], "solved"));
            }

            foreach (var (k, v) in exports)
            {
                sol.Values.Add(new NamedValue(k, v, [], "model"));
            }

            sol.Values.AddRange(runValues);
            foreach (var run in runs.Where(r => r.Steps.Count > 0))
            {
                Steps.AddAliases(sol, ModelRunner.Values(run).Select(v => v.Name), run.Steps.Count);
            }
            foreach (var (k, v) in ev.Given)
            {
                sol.Values.Add(new NamedValue(k, v.Detach(), [], "given"));
            }

            foreach (var q in ev.Quantities)
            {
                sol.Values.Add(new NamedValue(q.Name, q.Value.Detach(), q.Deps, "quantity"));
            }

            // A family is also a value of its own (h = [h[0], ..., h[4]]) when its members stack: same shapes.
            foreach (var (fam, members) in ev.Families.Where(f => !ev.ByName.ContainsKey(f.Key) && f.Value.Values.Select(m => m.Value.Shape).Distinct().Count() == 1))
            {
                sol.Values.Add(new NamedValue(fam, ev.Lookup(fam)!.Detach(), members.Values.Select(m => m.Name).ToList(), "quantity"));
            }

            if (ex.Loss is { } lossName)
            {
                sol.Loss = ev.ByName.GetValueOrDefault(lossName)
                    ?? throw new YamlException($"the loss '{lossName}' is not defined by an equation{DidYouMean.Suggest(lossName, ev.ByName.Keys)}", ex.LossNode!);
                if (sol.Loss.Value.Numel != 1)
                {
                    throw new YamlException($"the loss '{lossName}' must be a scalar, it has shape {sol.Loss.Value.Shape}", ex.LossNode!);
                }

                Gradients(sol, ev, sol.Loss);
                Losses.Gradients(sol, ev);
            }
        }

        Calculus.Sensitivities(sol, ev);
        Calculus.Jacobians(sol, evaluator);
        Calculus.Hessian(sol, evaluator, hessian);
        if (ex.Optimizer is { } opt)
        {
            Trajectory.Optimize(sol, evaluator, opt);
        }

        if (ex.After.Count > 0)
        {
            Trajectory.After(sol);
        }

        if (ex.Perceptron is { } p)
        {
            Perceptron.Train(sol, p);
        }

        return sol;
    }

    /// <summary>Each layer model's summary (shape analysis) and, when it has a run, its execution.</summary>
    private static (List<(string, ModelSummary)> Models, List<ModelRun> Runs, Dictionary<string, Tensor> Exports) Models(Exercise ex, Trace trace, IEnumerable<ExerciseModel> solvedModels)
    {
        var exports = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var models = new List<(string, ModelSummary)>();
        var runs = new List<ModelRun>();
        var given = ex.Given.GroupBy(g => g.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        foreach (var model in ex.Models.Concat(solvedModels))
        {
            var (name, def, node) = (model.Name, model.Definition, model.Node);
            Tensor? batch = null;
            if (model.Run is not null)
            {
                (def, batch) = ModelRunner.PrepareInput(model, given);
            }

            models.Add((name, Describe(name, def, node, exports)));

            if (batch is not null)
            {
                runs.Add(ModelRunner.Run(model, def, batch, given, trace));
            }
        }

        return (models, runs, exports);
    }

    /// <summary>A model's summary (shape analysis), its totals and per-layer values added to <paramref name="exports"/>.</summary>
    internal static ModelSummary Describe(string name, ModelDefinition def, YamlNode node, Dictionary<string, Tensor> exports)
    {
        if (def.InputShape is null)
        {
            throw new YamlException($"model '{name}' needs 'input: [C, H, W]'", node);
        }

        ModelSummary s;
        try
        {
            s = def.Summarize();
        }
        catch (ModelShapeException e)
        {
            throw new YamlException($"model '{name}': {e.Message}", node);
        }

        Export(exports, name, s.OutputShape, s.Totals.Params, s.Totals.Trainable, s.Totals.NonTrainable, s.Totals.Macs, s.Totals.ReceptiveField);
        foreach (var row in s.Rows.Where(r => r.Path.Length > 0))
        {
            Export(exports, $"{name}.{row.Label}", row.OutputShape, row.Params, row.Trainable, row.NonTrainable, row.Macs, row.ReceptiveField);
        }

        return s;
    }

    private static void Export(Dictionary<string, Tensor> exports, string prefix, Shape output, long pars, long trainable, long nonTrainable, long macs, Analysis.ReceptiveField? rf)
    {
        exports[$"{prefix}.out"] = Tensor.FromArray(output.ToArray().Select(d => (double)d).ToArray());
        exports[$"{prefix}.params"] = Tensor.Scalar(pars);
        exports[$"{prefix}.trainable"] = Tensor.Scalar(trainable);
        exports[$"{prefix}.non_trainable"] = Tensor.Scalar(nonTrainable);
        exports[$"{prefix}.macs"] = Tensor.Scalar(macs);
        if (rf is not null)
        {
            exports[$"{prefix}.rf"] = rf.SpatialDims == 1 ? Tensor.FromArray([rf.Width.Size]) : Tensor.FromArray([rf.Height.Size, rf.Width.Size]);
        }
    }

    private static void Gradients(Solution sol, Evaluation ev, Quantity loss)
    {
        // Adjoints dL/dq of every intermediate quantity (one reverse pass), then per requested gradient the chain-rule terms.
        var qs = loss.Value.RequiresGrad ? ev.Quantities.Where(q => q.Value.RequiresGrad && q != loss).ToList() : [];
        if (qs.Count > 0)
        {
            var adj = Derivatives.Grad(loss.Value, qs.Select(q => q.Value).ToList(), retainGraph: true);
            for (int i = 0; i < qs.Count; i++)
            {
                sol.Adjoints[qs[i].Name] = adj[i] ?? Tensor.ZerosLike(qs[i].Value);
            }
        }

        sol.Adjoints[loss.Name] = Tensor.OnesLike(loss.Value);
        foreach (var u in ev.Quantities.Where(u => u.Value.Numel == 1 && sol.Adjoints.ContainsKey(u.Name)))
        {
            foreach (var (dep, partial) in Evaluator.LocalPartials(ev, u))
            {
                sol.Locals[(u.Name, dep)] = partial;
            }
        }

        foreach (var q in qs.Where(q => q.Value.Numel == 1))
        {
            sol.AdjointTerms[q.Name] = ev.Quantities.Where(u => sol.Locals.ContainsKey((u.Name, q.Name)))
                .Select(u => (u.Name, sol.Adjoints[u.Name], sol.Locals[(u.Name, q.Name)])).ToList();
        }

        foreach (var (name, node) in sol.Exercise.Gradients)
        {
            var x = ev.ByName.GetValueOrDefault(name)?.Value ?? (ev.Given.TryGetValue(name, out var g) ? g : null)
                ?? throw new YamlException($"gradient with respect to '{name}': no such given value or quantity{DidYouMean.Suggest(name, ev.Names)}", node);
            // A loss that records no graph (a constant, or one that reaches the givens only through step) has zero gradients.
            var value = x == loss.Value ? Tensor.OnesLike(x)
                : !loss.Value.RequiresGrad ? Tensor.ZerosLike(x)
                : Autograd.Grad([loss.Value], [x], retainGraph: true, allowUnused: true)[0] ?? Tensor.ZerosLike(x);
            List<(string, Tensor, Tensor)> terms = x.Numel != 1 ? [] : ev.Quantities.Where(u => sol.Locals.ContainsKey((u.Name, name)))
                .Select(u => (u.Name, sol.Adjoints[u.Name], sol.Locals[(u.Name, name)])).ToList();

            string gname = $"d{loss.Name}/d{name}";
            sol.Gradients.Add(new GradientResult(gname, loss.Name, name, value.Detach(), terms));
            sol.Values.Add(new NamedValue(gname, value.Detach(), [loss.Name], "gradient"));
        }
    }
}

using Nabla.Formats;
using Nabla.Optim;

namespace Nabla.Explain;

/// <summary>
/// The names of values after optimizer steps. After step k of n, a value q is <c>q@k</c>, after the last step
/// <c>q'</c> (also spelled <c>q@n</c>); step 0 is q itself. The suffix applies to the whole name:
/// <c>h[2]@1</c>, <c>dL/dw1@2</c>, <c>w1.exp_avg'</c>, <c>m.C1.weight@2</c>.
/// </summary>
internal static class Steps
{
    /// <summary>The most optimizer steps an exercise may ask for (every step's values are kept).</summary>
    public const int Max = 1000;

    /// <summary>The name of <paramref name="name"/> after step <paramref name="k"/> of <paramref name="n"/>.</summary>
    public static string Name(string name, int k, int n) => k == 0 ? name : k == n ? name + "'" : $"{name}@{k}";

    /// <summary>The name <paramref name="name"/> was made from by <see cref="Name"/> for step k of n, or null.</summary>
    public static string? Base(string name, int k, int n)
    {
        string suffix = k == n ? "'" : $"@{k}";
        return name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : null;
    }

    /// <summary>Whether a name refers to a value after optimizer steps.</summary>
    public static bool IsStepped(string name) => name.EndsWith('\'') || name.Contains('@', StringComparison.Ordinal);

    /// <summary>The spelling <c>q@n</c> of every <c>q'</c> among <paramref name="names"/>, for <see cref="Solution.Aliases"/>.</summary>
    public static void AddAliases(Solution sol, IEnumerable<string> names, int n)
    {
        foreach (var name in names.Where(v => v.EndsWith('\'')))
        {
            sol.Aliases.TryAdd($"{name[..^1]}@{n}", name);
        }
    }
}

/// <summary>
/// Optimizer steps on an exercise's equations with the real optimizer from <see cref="OptimizerRegistry"/>: after every step
/// the equations run again at the new parameters, so each quantity, the loss and the gradients have a value per step
/// (<see cref="Steps"/> names them); the <c>after:</c> equations then may use all of them.
/// </summary>
internal static class Trajectory
{
    /// <summary>The most values the equations' steps may keep in all: 2^24 (128 MiB of doubles, more with autograd's graph).</summary>
    private const long MaxTrajectoryElements = 1L << 24;

    public static void Optimize(Solution sol, Evaluator evaluator, OptimizerSpec spec)
    {
        var loss = sol.Loss ?? throw new YamlException("the optimizer needs 'loss: name'");
        var given = evaluator.Run(requireGrad: false).Given;
        var ps = spec.Params.Select(n => given.TryGetValue(n, out var t)
            ? t.Detach().Clone().Named(n).RequireGrad()
            : throw new YamlException($"optimizer parameter '{n}' must be a given value")).ToList();
        var (b1, b2) = spec.Betas;
        Optimizer opt = spec.Create(ps);
        var overrides = spec.Params.Zip(ps).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        var current = RunAt(evaluator, overrides, 0);
        long perStep = current.Quantities.Sum(q => (long)q.Value.Numel);
        if (perStep * spec.Steps > MaxTrajectoryElements)
        {
            // Every step's evaluation is kept (for its names, the forward pass after it and after:): bounded up front.
            throw new YamlException($"{spec.Steps} optimizer steps would keep {perStep * spec.Steps:N0} values of the equations; at most {MaxTrajectoryElements:N0}: take fewer steps");
        }

        IReadOnlyList<Tensor?>? finalGrads = null;
        for (int step = 1; step <= spec.Steps; step++)
        {
            var lossValue = current!.ByName[loss.Name].Value;
            var grads = Derivatives.Grad(lossValue, ps);
            var before = ps.Select(p => p.Detach().Clone()).ToList();
            for (int i = 0; i < ps.Count; i++)
            {
                ps[i].Grad = grads[i]?.Detach() ?? Tensor.ZerosLike(ps[i]);
            }

            opt.Step();
            var rows = new List<(string, Tensor, Tensor, Tensor, IReadOnlyDictionary<string, Tensor>)>();
            for (int i = 0; i < ps.Count; i++)
            {
                rows.Add((spec.Params[i], before[i], ps[i].Grad!, ps[i].Detach().Clone(), State(opt, ps[i], spec.Type, b1, b2, step)));
            }

            sol.OptimizerSteps.Add(new OptimizerStep(step, rows, lossValue.Item()));
            if (step < spec.Steps)
            {
                current = RunAt(evaluator, overrides, step);
            }
            else
            {
                // The update itself is right; only the equations at the new parameters may not be numbers (bce of a
                // value outside [0, 1], say): say so and where, instead of printing NaN or failing the explanation.
                try
                {
                    current = evaluator.Run(overrides);
                    finalGrads = Derivatives.Grad(current.ByName[loss.Name].Value, ps);
                    sol.LossAfter = current.ByName[loss.Name].Value.Item();
                }
                catch (YamlException e)
                {
                    current = null;
                    sol.LossAfterError = e.Message;
                }
            }

            sol.StepEvaluations.Add(current);
        }

        foreach (var (n, p) in overrides)
        {
            sol.ParamsAfter[n] = p.Detach().Clone();
        }

        Name(sol, spec, finalGrads);
    }

    /// <summary>The optimizer's state of one parameter after a step, with Adam's bias-corrected moments.</summary>
    private static Dictionary<string, Tensor> State(Optimizer opt, Tensor p, string type, double b1, double b2, int step)
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (opt.State.TryGetValue(p, out var st))
        {
            foreach (var (k, v) in st)
            {
                state[k] = v.Detach().Clone();
            }

            if (type == "Adam" && st.TryGetValue("exp_avg", out var m) && st.TryGetValue("exp_avg_sq", out var v2))
            {
                state["exp_avg_hat"] = m.Detach() / (1 - Math.Pow(b1, step));
                state["exp_avg_sq_hat"] = v2.Detach() / (1 - Math.Pow(b2, step));
            }
        }

        return state;
    }

    // The equations at the parameters after a step; a failure names the step it was for.
    private static Evaluation RunAt(Evaluator evaluator, Dictionary<string, Tensor> overrides, int after)
    {
        try
        {
            return evaluator.Run(overrides);
        }
        catch (YamlException e) when (after > 0)
        {
            throw new YamlException($"optimizer step {after + 1}, at the parameters after step {after}: {e.Problem}", e.Line, e.Column);
        }
    }

    /// <summary>
    /// The named values of every step k: the optimizer's state and the parameters after it, the quantities of the
    /// equations at those parameters and the gradients there. Each depends on the same names at step k (or, for the
    /// update, at step k − 1), so the checker blames the first wrong step.
    /// </summary>
    private static void Name(Solution sol, OptimizerSpec spec, IReadOnlyList<Tensor?>? finalGrads)
    {
        int n = spec.Steps;
        string l = sol.Loss!.Name;
        string G(string p) => $"d{l}/d{p}";
        var added = new List<string>();
        void Add(string name, Tensor value, IReadOnlyList<string> deps, string kind)
        {
            sol.Values.Add(new NamedValue(name, value, deps, kind));
            added.Add(name);
        }

        for (int k = 1; k <= n; k++)
        {
            foreach (var (p, _, _, after, state) in sol.OptimizerSteps[k - 1].Params)
            {
                var stateNames = new List<string>();
                foreach (var (key, v) in state)
                {
                    string s = $"{p}.{key}";
                    Add(Steps.Name(s, k, n), v, k > 1 ? [Steps.Name(s, k - 1, n), Steps.Name(G(p), k - 1, n)] : [G(p)], "update");
                    stateNames.Add(Steps.Name(s, k, n));
                }

                Add(Steps.Name(p, k, n), after, [Steps.Name(p, k - 1, n), Steps.Name(G(p), k - 1, n), .. stateNames], "update");
            }

            if (sol.StepEvaluations[k - 1] is not { } ev)
            {
                continue;
            }

            bool Moves(string dep) => ev.ByName.ContainsKey(dep) || spec.Params.Contains(dep);
            foreach (var q in ev.Quantities)
            {
                Add(Steps.Name(q.Name, k, n), q.Value.Detach(), [.. q.Deps.Select(d => Moves(d) ? Steps.Name(d, k, n) : d)], "quantity");
            }

            foreach (var (fam, members) in ev.Families.Where(f => !ev.ByName.ContainsKey(f.Key)))
            {
                Add(Steps.Name(fam, k, n), ev.Lookup(fam)!.Detach(), [.. members.Values.Select(m => Steps.Name(m.Name, k, n))], "quantity");
            }

            for (int i = 0; i < spec.Params.Count; i++)
            {
                var g = k < n ? sol.OptimizerSteps[k].Params[i].Grad : finalGrads?[i]?.Detach() ?? Tensor.ZerosLike(sol.ParamsAfter[spec.Params[i]]);
                Add(Steps.Name(G(spec.Params[i]), k, n), g, [Steps.Name(l, k, n)], "gradient");
            }
        }

        Steps.AddAliases(sol, added, n);
    }

    /// <summary>
    /// The equations of <c>after:</c>, on top of every value the exercise computed: the forward quantities, the
    /// quantities after each step (<c>h'[2]</c>, written <c>h[2]'</c>; <c>h@1[2]</c>, written <c>h[2]@1</c>), the
    /// parameters, optimizer states and model-run values after the steps (<c>w1'</c>, <c>m.loss@2</c>).
    /// </summary>
    public static void After(Solution sol)
    {
        var ex = sol.Exercise;
        if (sol.OptimizerSteps.Count == 0 && !sol.Runs.Any(r => r.Steps.Count > 0))
        {
            throw new YamlException("the equations of 'after:' use values after optimizer steps: the exercise needs 'optimizer:' (or a model run with one)", ex.AfterNode!);
        }

        var ev = new Evaluation();
        foreach (var (k, v) in sol.Evaluation.Given)
        {
            ev.Given[k] = v.Detach();
        }

        foreach (var v in sol.Values.Where(v => !v.Name.Contains('/', StringComparison.Ordinal)))
        {
            ev.Exports[v.Name] = v.Value;
        }

        foreach (var (alias, name) in sol.Aliases.Where(a => ev.Exports.ContainsKey(a.Value)))
        {
            ev.Exports[alias] = ev.Exports[name];
        }

        Shells(ev, sol.Evaluation, 0, 0);
        int n = sol.StepEvaluations.Count;
        for (int k = 1; k <= n; k++)
        {
            if (sol.StepEvaluations[k - 1] is { } step)
            {
                Shells(ev, step, k, n);
            }
        }

        Evaluator.Continue(ev, ex.After);
        sol.AfterEvaluation = ev;
        foreach (var q in ev.Quantities)
        {
            sol.Values.Add(new NamedValue(q.Name, q.Value.Detach(), q.Deps, "quantity"));
        }

        foreach (var (fam, members) in ev.Families.Where(f => !ev.ByName.ContainsKey(f.Key) && f.Value.Values.All(ev.Quantities.Contains)))
        {
            sol.Values.Add(new NamedValue(fam, ev.Lookup(fam)!.Detach(), [.. members.Values.Select(m => m.Name)], "quantity"));
        }
    }

    // The quantities of one evaluation under their names after step k of n (read-only: they are not re-evaluated),
    // as members of their families so that h[2]' reads h'[2]; after the last step also under h@n.
    private static void Shells(Evaluation into, Evaluation from, int k, int n)
    {
        foreach (var q in from.Quantities)
        {
            var shell = new Quantity(Steps.Name(q.Name, k, n), q.Family is null ? null : Steps.Name(q.Family, k, n), q.Index, q.Equation, q.Env) { Value = q.Value.Detach() };
            into.ByName[shell.Name] = shell;
            if (k == n && k > 0)
            {
                into.ByName.TryAdd($"{q.Name}@{n}", shell);
            }

            if (shell.Family is { } fam && q.Index is { } ix)
            {
                Member(into, fam, ix, shell);
                if (k == n && k > 0)
                {
                    Member(into, $"{q.Family}@{n}", ix, shell);
                }
            }
        }
    }

    private static void Member(Evaluation ev, string family, int index, Quantity q)
    {
        if (!ev.Families.TryGetValue(family, out var fam))
        {
            ev.Families[family] = fam = [];
        }

        fam[index] = q;
    }
}

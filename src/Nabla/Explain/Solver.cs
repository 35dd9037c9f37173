using Nabla.Analysis;
using Nabla.Explain.Sections;
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

    /// <summary>
    /// The sections' <see cref="IExerciseSection.Prepare"/>, the equations, then their <see cref="IExerciseSection.Solve"/>:
    /// the traced ones inside the trace of the forward and backward pass, the others after it.
    /// </summary>
    private static Solution SolveCore(Exercise ex, int? digits)
    {
        Solution sol;
        SolveContext ctx;
        var sections = ExerciseSections.All;
        using (var trace = Trace.Capture())
        {
            ctx = new SolveContext(ex, trace);
            foreach (var section in sections)
            {
                section.Prepare(ctx);
            }

            ctx.Evaluator = new Evaluator(ex, ctx.Inputs);
            var ev = ctx.Evaluator.Run();
            sol = new Solution { Exercise = ex, Evaluation = ev, Trace = trace.Steps, Digits = digits ?? ex.Digits ?? 6 };
            sol.Values.AddRange(ctx.Values);
            foreach (var section in sections.Where(s => s.Traced))
            {
                section.Solve(sol, ctx);
            }
        }

        foreach (var section in sections.Where(s => !s.Traced))
        {
            section.Solve(sol, ctx);
        }

        return sol;
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
}

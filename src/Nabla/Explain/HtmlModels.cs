using System.Globalization;
using System.Text;
using Nabla.Analysis;
using static Nabla.Explain.HtmlPage;

namespace Nabla.Explain;

/// <summary>
/// Layer models on the HTML page: the summary table (shapes, parameters, MACs, receptive fields) and, for a model
/// that was run, the forward, backward and update tables of <see cref="ModelRunRenderer"/>. Labels and types come
/// from the exercise's model file and are escaped.
/// </summary>
internal static class HtmlModels
{
    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    public static void Summary(StringBuilder w, string name, ModelSummary s)
    {
        w.Append($"<h2>Model {Escape(name)} (input {Escape(s.InputShape.ToString())})</h2>\n");
        var rows = s.Rows.Where(r => r.Path.Length > 0).Select(r => ((IReadOnlyList<string>)
        [
            Escape(r.Label), Escape(r.Type), Escape(r.OutputShape.ToString()), N(r.Params), N(r.Macs),
            r.ReceptiveField is { } rf ? $"{rf.Height.Size}×{rf.Width.Size}" : string.Empty,
        ], (string?)null));
        Table(w, ["layer", "type", "output shape", "params", "MACs", "receptive field"], rows, textColumns: 3);
        w.Append($"<p>total: {N(s.Totals.Params)} parameters ({N(s.Totals.Trainable)} trainable, {N(s.Totals.NonTrainable)} non-trainable), ")
            .Append($"{N(s.Totals.Macs)} MACs, output {Escape(s.OutputShape.ToString())}</p>\n");
    }

    public static void Run(StringBuilder w, ModelRun run, int d)
    {
        string S(Tensor t) => Escape(TensorSummary.Text(t, d));
        string Shape(Tensor t) => Escape(t.Shape.ToString());
        w.Append($"<h2>Model {Escape(run.Name)}: forward pass</h2>\n")
            .Append($"<p>input {Shape(run.Input)}: {S(run.Input)}<br>weights: {Escape(run.Weights)}; {(run.Spec.Train ? "training" : "evaluation")} mode; Float64</p>\n");
        Table(w, ["layer", "type", "computes", "input → output", "output"],
            run.Layers.Select(l => ((IReadOnlyList<string>)[Escape(l.Label), Escape(l.Type), Escape(l.Formula), $"{Shape(l.Input)} → {Shape(l.Output)}", S(l.Output)], (string?)null)), textColumns: 5);
        if (run.Loss is not { } loss)
        {
            return;
        }

        var spec = run.Spec.Loss!;
        w.Append($"<p>loss = {Escape(spec.Type)}(output, target = {Escape(Format.Tensor(run.Target!, d))}), reduction {spec.Reduction.ToString().ToLowerInvariant()} = {Format.Number(loss, d)}</p>\n")
            .Append($"<h2>Model {Escape(run.Name)}: backward pass (reverse mode, last layer first)</h2>\n")
            .Append($"<p class=\"note\">{Math("\\partial L/\\partial y")} of each layer's output and {Math("\\partial L/\\partial \\theta")} of each parameter; ‖·‖ is the Euclidean (Frobenius) norm</p>\n");
        var rows = new List<(IReadOnlyList<string>, string?)>();
        foreach (var l in run.Layers.AsEnumerable().Reverse())
        {
            string Grad(ParamStep p) => Escape(TensorSummary.Gradient(p.Grad!, d));
            string Param(ParamStep p) => Escape($"{p.Name} {p.Grad!.Shape}");
            rows.Add(([Escape(l.Label), Escape(TensorSummary.Gradient(l.GradOutput!, d)), l.Params.Count == 0 ? "(none)" : Param(l.Params[0]), l.Params.Count == 0 ? string.Empty : Grad(l.Params[0])], null));
            rows.AddRange(l.Params.Skip(1).Select(p => ((IReadOnlyList<string>)[string.Empty, string.Empty, Param(p), Grad(p)], (string?)null)));
        }

        Table(w, ["layer", "∂L/∂y (its output)", "parameter θ", "∂L/∂θ"], rows, textColumns: 4);
        if (run.Spec.Optimizer is not { } opt || run.StepLosses.Count == 0)
        {
            return;
        }

        w.Append($"<h2>Model {Escape(run.Name)}: update ({Escape(opt.Type)}, lr = {Format.Number(opt.Lr, d)}, {run.StepLosses.Count} step{(run.StepLosses.Count == 1 ? string.Empty : "s")})</h2>\n");
        Table(w, ["parameter", "before", "after"],
            run.Layers.SelectMany(l => l.Params).Select(p => ((IReadOnlyList<string>)[Escape($"{p.Name}′"), S(p.Value), S(p.After!)], (string?)null)), textColumns: 3);
        w.Append($"<p>loss per step: {string.Join(", ", run.StepLosses.Select(v => Format.Number(v, d)))}; after the update: {Format.Number(run.LossAfter ?? double.NaN, d)}</p>\n");
    }
}

using Nabla.Analysis;

namespace Nabla.Explain;

/// <summary>A named result of an exercise, with the names it depends on (for <c>nabla check</c>'s blame).</summary>
/// <param name="Name">The name a claim uses (<c>h[4]</c>, <c>dL/dw1</c>, <c>w1'</c>, <c>L'</c>).</param>
/// <param name="Value">The computed value.</param>
/// <param name="Deps">Names it was computed from directly.</param>
/// <param name="Kind">quantity, given, gradient, sensitivity, update, jacobian, hessian, model.</param>
internal sealed record NamedValue(string Name, Tensor Value, IReadOnlyList<string> Deps, string Kind);

/// <summary>One gradient with its chain-rule decomposition: dL/dx = Σ over users u of dL/du · ∂u/∂x (scalars only).</summary>
internal sealed record GradientResult(string Name, string Of, string Wrt, Tensor Value, IReadOnlyList<(string User, Tensor Upstream, Tensor Local)> Terms);

/// <summary>One optimizer step: parameters before, gradients, state (moments) and parameters after.</summary>
internal sealed record OptimizerStep(int Step, IReadOnlyList<(string Param, Tensor Before, Tensor Grad, Tensor After, IReadOnlyDictionary<string, Tensor> State)> Params, double Loss);

/// <summary>The Hessian analysis at one point.</summary>
internal sealed record CriticalPoint(double[] At, double F, Tensor Gradient, Tensor Hessian, double[] Eigenvalues, double Determinant, string Type, string Reason)
{
    /// <summary>Unit eigenvectors as columns, in the order of <see cref="Eigenvalues"/>, each with its largest component positive; null when eigenvalues repeat.</summary>
    public Tensor? Eigenvectors { get; init; }
}

/// <summary>A perceptron epoch: errors, weights and threshold after it, and the per-pattern rows.</summary>
internal sealed record PerceptronEpoch(int Epoch, int Errors, double[] W, double Theta, IReadOnlyList<(double[] X, double Net, int Y, double T, double[] WAfter, double ThetaAfter)> Rows);

/// <summary>Everything an exercise asked for, computed by the engine; the input of every renderer.</summary>
internal sealed class Solution
{
    public required Exercise Exercise { get; init; }

    public required Evaluation Evaluation { get; init; }

    public IReadOnlyList<TraceStep> Trace { get; init; } = [];

    public List<(string Name, ModelSummary Summary)> Models { get; } = [];

    /// <summary>The layer models that were executed (<c>run:</c>), layer by layer.</summary>
    public List<ModelRun> Runs { get; } = [];

    public Quantity? Loss { get; set; }

    /// <summary>The unknowns a <c>solve:</c> section found, and how; null without one.</summary>
    public SolveResult? Solved { get; set; }

    /// <summary>The losses besides <see cref="Loss"/> (<c>losses:</c>), each with its gradients in <see cref="Gradients"/>.</summary>
    public List<Quantity> OtherLosses { get; } = [];

    public Dictionary<string, Tensor> Adjoints { get; } = new(StringComparer.Ordinal);

    /// <summary>For scalar quantities: dL/dq = Σ over scalar users u of dL/du · ∂u/∂q (the terms).</summary>
    public Dictionary<string, List<(string User, Tensor Upstream, Tensor Local)>> AdjointTerms { get; } = new(StringComparer.Ordinal);

    /// <summary>Direct partials ∂u/∂x of scalar quantities' own equations (other quantities held fixed).</summary>
    public Dictionary<(string U, string X), Tensor> Locals { get; } = [];

    public List<GradientResult> Gradients { get; } = [];

    public List<(string Family, string Wrt, IReadOnlyList<(int T, double Value)> Values)> Sensitivities { get; } = [];

    public List<(JacobianSpec Spec, Tensor Value)> Jacobians { get; } = [];

    public List<CriticalPoint> CriticalPoints { get; } = [];

    public List<OptimizerStep> OptimizerSteps { get; } = [];

    public Dictionary<string, Tensor> ParamsAfter { get; } = new(StringComparer.Ordinal);

    public double? LossAfter { get; set; }

    /// <summary>Why the loss after the update could not be computed (the non-finite diagnostic), or null.</summary>
    public string? LossAfterError { get; set; }

    public List<PerceptronEpoch> Perceptron { get; } = [];

    public bool? PerceptronConverged { get; set; }

    /// <summary>What a section computed, for sections that keep it here rather than in a property of their own.</summary>
    public Dictionary<Sections.IExerciseSection, object> SectionResults { get; } = [];

    /// <summary>Every named result, in computation order (claims and the JSON refer to these names).</summary>
    public List<NamedValue> Values { get; } = [];

    /// <summary>
    /// The evaluation of the equations at the parameters after each optimizer step (index k − 1 for step k); the
    /// last is null when the equations fail there (see <see cref="LossAfterError"/>).
    /// </summary>
    public List<Evaluation?> StepEvaluations { get; } = [];

    /// <summary>The equations of the <c>after:</c> section, evaluated after the optimizer, or null.</summary>
    public Evaluation? AfterEvaluation { get; set; }

    /// <summary>Other spellings of a name (<c>w1@3</c> for <c>w1'</c> after the last of 3 steps), to the name in <see cref="Values"/>.</summary>
    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);

    /// <summary>The name <see cref="Values"/> uses for <paramref name="name"/> (itself unless it is an alias).</summary>
    public string Canonical(string name) => Aliases.GetValueOrDefault(name, name);

    public NamedValue? Find(string name)
    {
        if (index is null || indexed != Values.Count)
        {
            // Rebuilt when values were added: trajectories make many names, and the checker looks them up often.
            index = new Dictionary<string, NamedValue>(StringComparer.Ordinal);
            foreach (var v in Values)
            {
                index[v.Name] = v;
            }

            indexed = Values.Count;
        }

        return index.GetValueOrDefault(Canonical(name));
    }

    /// <summary>The equation instance a name was computed by, and its evaluation: forward quantities, after-step ones (<c>h[2]@1</c>, <c>h[2]'</c>) and <c>after:</c> ones.</summary>
    public (Evaluation Ev, Quantity Q)? Source(string name)
    {
        name = Canonical(name);
        if (Evaluation.ByName.TryGetValue(name, out var q))
        {
            return (Evaluation, q);
        }

        if (AfterEvaluation is { } a && a.ByName.TryGetValue(name, out var aq) && a.Quantities.Contains(aq))
        {
            return (a, aq);
        }

        for (int k = 1; k <= StepEvaluations.Count; k++)
        {
            if (StepEvaluations[k - 1] is { } ev && Steps.Base(name, k, StepEvaluations.Count) is { } b && ev.ByName.TryGetValue(b, out var sq))
            {
                return (ev, sq);
            }
        }

        return null;
    }

    private Dictionary<string, NamedValue>? index;
    private int indexed;

    public int Digits { get; set; } = 6;
}

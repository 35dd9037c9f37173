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

    /// <summary>Every named result, in computation order (claims and the JSON refer to these names).</summary>
    public List<NamedValue> Values { get; } = [];

    public NamedValue? Find(string name) => Values.LastOrDefault(v => v.Name == name);

    public int Digits { get; set; } = 6;
}

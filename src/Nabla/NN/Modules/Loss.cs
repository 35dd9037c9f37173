namespace Nabla.NN;

/// <summary>Base of the loss modules: <c>Forward(input, target)</c> returns the loss (PyTorch's <c>_Loss</c>).</summary>
public abstract class Loss(Reduction reduction) : Module
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>Calls <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public Tensor Call(Tensor input, Tensor target) => Forward(input, target);

    /// <summary>A loss needs a target: use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException($"{TypeName} needs a target: call Forward(input, target)");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"reduction={Reduction}";

    /// <summary>The error for a two-argument call to a loss that takes more tensors.</summary>
    private protected InvalidOperationException NeedsThree(string arguments) =>
        new($"{TypeName} takes {arguments}: call Forward({arguments})");
}

/// <summary>Mean squared error (x − y)².</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.MseLoss(input, target, Reduction);
}

/// <summary>Mean absolute error |x − y|.</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.L1Loss(input, target, Reduction);
}

/// <summary>Smooth L1: quadratic below β, linear above.</summary>
public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.SmoothL1Loss(input, target, Reduction, beta);
}

/// <summary>Huber loss: quadratic below δ, linear (slope δ) above.</summary>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.HuberLoss(input, target, Reduction, delta);
}

/// <summary>Binary cross-entropy on probabilities (logs clamped at −100).</summary>
public sealed class BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropy(input, target, weight, Reduction);
}

/// <summary>Binary cross-entropy on logits, numerically stable, with optional positive-class weight.</summary>
public sealed class BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        F.BinaryCrossEntropyWithLogits(input, target, weight, Reduction, posWeight);
}

/// <summary>Cross-entropy of logits against class indices or probabilities (log-softmax + NLL).</summary>
public sealed class CrossEntropyLoss(Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        F.CrossEntropy(input, target, weight, ignoreIndex, Reduction, labelSmoothing);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"ignoreIndex={ignoreIndex}, reduction={Reduction}, labelSmoothing={labelSmoothing}";
}

/// <summary>Negative log-likelihood of class indices given log-probabilities.</summary>
public sealed class NLLLoss(Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, weight, ignoreIndex, Reduction);
}

/// <summary>Kullback-Leibler divergence with input = log q; use <see cref="Reduction.BatchMean"/> for the true KL.</summary>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.KlDiv(input, target, Reduction, logTarget);
}

/// <summary>
/// Ranking hinge max(0, −y·(x₁ − x₂) + margin) (<see cref="F.MarginRankingLoss"/>); call
/// <c>Forward(input1, input2, target)</c>.
/// </summary>
public sealed class MarginRankingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <summary>The loss of the pair (x₁, x₂) against y = ±1.</summary>
    public Tensor Forward(Tensor input1, Tensor input2, Tensor target) => F.MarginRankingLoss(input1, input2, target, Margin, Reduction);

    /// <summary>Refused: this loss takes two inputs and a target.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => throw NeedsThree("input1, input2, target");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"margin={Margin}, reduction={Reduction}";
}

/// <summary>x where y = 1, max(0, margin − x) where y = −1 (<see cref="F.HingeEmbeddingLoss"/>).</summary>
public sealed class HingeEmbeddingLoss(double margin = 1.0, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.HingeEmbeddingLoss(input, target, Margin, Reduction);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"margin={Margin}, reduction={Reduction}";
}

/// <summary>
/// 1 − cos(x₁, x₂) where y = 1, max(0, cos − margin) where y = −1 (<see cref="F.CosineEmbeddingLoss"/>); call
/// <c>Forward(input1, input2, target)</c>.
/// </summary>
public sealed class CosineEmbeddingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <summary>The loss of the pair (x₁, x₂) against y = ±1.</summary>
    public Tensor Forward(Tensor input1, Tensor input2, Tensor target) => F.CosineEmbeddingLoss(input1, input2, target, Margin, Reduction);

    /// <summary>Refused: this loss takes two inputs and a target.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => throw NeedsThree("input1, input2, target");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"margin={Margin}, reduction={Reduction}";
}

/// <summary>
/// max(0, margin + d(a, p) − d(a, n)) with the pairwise p-norm distance (<see cref="F.TripletMarginLoss"/>); call
/// <c>Forward(anchor, positive, negative)</c>.
/// </summary>
public sealed class TripletMarginLoss(double margin = 1.0, double p = 2, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The triplet loss of (anchor, positive, negative).</summary>
    public Tensor Forward(Tensor anchor, Tensor positive, Tensor negative) =>
        F.TripletMarginLoss(anchor, positive, negative, margin, p, eps, swap, Reduction);

    /// <summary>Refused: this loss takes an anchor, a positive and a negative.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => throw NeedsThree("anchor, positive, negative");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"margin={margin}, p={p}, eps={eps}, swap={swap}, reduction={Reduction}";
}

/// <summary>One-versus-all logistic loss over C labels, averaged over the labels (<see cref="F.MultilabelSoftMarginLoss"/>).</summary>
public sealed class MultiLabelSoftMarginLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.MultilabelSoftMarginLoss(input, target, weight, Reduction);
}

/// <summary>Multi-class hinge Σ_{i≠y} max(0, margin − x_y + x_i)^p / C, p = 1 or 2 (<see cref="F.MultiMarginLoss"/>).</summary>
public sealed class MultiMarginLoss(int p = 1, double margin = 1.0, Tensor? weight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.MultiMarginLoss(input, target, p, margin, weight, Reduction);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={p}, margin={margin}, reduction={Reduction}";
}

/// <summary>Two-class logistic loss log(1 + exp(−y·x)) (<see cref="F.SoftMarginLoss"/>).</summary>
public sealed class SoftMarginLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.SoftMarginLoss(input, target, Reduction);
}

/// <summary>Poisson negative log-likelihood, input log λ by default (<see cref="F.PoissonNllLoss"/>).</summary>
public sealed class PoissonNLLLoss(bool logInput = true, bool full = false, double eps = 1e-8, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.PoissonNllLoss(input, target, logInput, full, eps, Reduction);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"logInput={logInput}, full={full}, eps={eps}, reduction={Reduction}";
}

/// <summary>
/// Gaussian negative log-likelihood of the target under mean = input and variance var (<see cref="F.GaussianNllLoss"/>);
/// call <c>Forward(input, target, var)</c>.
/// </summary>
public sealed class GaussianNLLLoss(bool full = false, double eps = 1e-6, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The loss of <paramref name="target"/> under N(input, var).</summary>
    public Tensor Forward(Tensor input, Tensor target, Tensor var) => F.GaussianNllLoss(input, target, var, full, eps, Reduction);

    /// <summary>Refused: this loss needs the variance too.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => throw NeedsThree("input, target, var");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"full={full}, eps={eps}, reduction={Reduction}";
}

/// <summary>
/// Connectionist temporal classification (<see cref="F.CtcLoss"/>); call
/// <c>Forward(logProbs, targets, inputLengths, targetLengths)</c>.
/// </summary>
public sealed class CTCLoss(int blank = 0, Reduction reduction = Reduction.Mean, bool zeroInfinity = false) : Loss(reduction)
{
    /// <summary>The CTC loss of log-probabilities (T, N, C) against the targets.</summary>
    public Tensor Forward(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths) =>
        F.CtcLoss(logProbs, targets, inputLengths, targetLengths, blank, Reduction, zeroInfinity);

    /// <summary>Refused: CTC needs the input and target lengths too.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => throw NeedsThree("logProbs, targets, inputLengths, targetLengths");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"blank={blank}, reduction={Reduction}, zeroInfinity={zeroInfinity}";
}

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

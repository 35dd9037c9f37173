namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Threshold: y = x where x &gt; threshold, else <paramref name="value"/>; the gradient is 1 where x &gt; threshold and 0
    /// elsewhere. NaN inputs stay NaN (PyTorch tests x ≤ threshold, which NaN fails).
    /// </summary>
    public static Tensor Threshold(Tensor x, double threshold, double value) =>
        Tensor.Where(x.Detach().Le(threshold), Tensor.Scalar(value, x.DType), x);
}

/// <summary>Threshold: y = x if x &gt; threshold else value (PyTorch's <c>nn.Threshold</c>; both arguments are required).</summary>
public sealed class Threshold(double threshold, double value) : ElementwiseModule
{
    /// <summary>The threshold.</summary>
    public double ThresholdValue { get; } = double.IsNaN(threshold) ? throw new ArgumentException("Threshold: threshold must be a number", nameof(threshold)) : threshold;

    /// <summary>The value that replaces inputs at or below the threshold.</summary>
    public double Value { get; } = value;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Threshold(input, ThresholdValue, Value);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"threshold={ThresholdValue}, value={Value}";
}

/// <summary><c>nn.Threshold</c>.</summary>
public sealed class ThresholdDescriptor() : LayerDescriptor<Threshold>([new("threshold", ArgKind.Double, null, true), new("value", ArgKind.Double, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of(Name, ("threshold", 0.1), ("value", 20.0)), new Shape(2, 3)), new(LayerSpec.Of(Name, ("threshold", -0.5), ("value", -1.5)), new Shape(6))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec spec) => new Threshold(spec.Double("threshold"), spec.Double("value"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => Unchanged(input);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = x if x > {ActivationRules.Num(spec.Double("threshold"))} else {ActivationRules.Num(spec.Double("value"))}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Threshold module) => SpecOf(("threshold", module.ThresholdValue), ("value", module.Value));
}

namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// HardTanh: y = min(max(x, minVal), maxVal). The gradient is 1 strictly inside (minVal, maxVal) and 0 elsewhere,
    /// including at the bounds (PyTorch's hardtanh_backward; clamp would pass it at the bounds).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="minVal"/> is greater than <paramref name="maxVal"/>.</exception>
    public static Tensor Hardtanh(Tensor x, double minVal = -1.0, double maxVal = 1.0)
    {
        if (!(minVal <= maxVal))
        {
            throw new ArgumentException($"hardtanh: minVal ({minVal}) cannot be greater than maxVal ({maxVal})", nameof(minVal));
        }

        var xd = x.Detach();
        return Tensor.Where(xd.Gt(minVal).LogicalAnd(xd.Lt(maxVal)), x, xd.Clamp(minVal, maxVal));
    }
}

/// <summary>HardTanh: y = min(max(x, minVal), maxVal) (PyTorch's <c>nn.Hardtanh</c>; default range [−1, 1]).</summary>
public sealed class Hardtanh : ElementwiseModule
{
    /// <summary>Creates the layer; <paramref name="maxVal"/> must be greater than <paramref name="minVal"/>, as PyTorch asserts.</summary>
    public Hardtanh(double minVal = -1.0, double maxVal = 1.0)
    {
        (MinVal, MaxVal) = (ActivationRules.Finite(minVal, "Hardtanh", nameof(minVal)), ActivationRules.Finite(maxVal, "Hardtanh", nameof(maxVal)));
        if (!(maxVal > minVal))
        {
            throw new ArgumentException($"Hardtanh: maxVal ({maxVal}) must be greater than minVal ({minVal})", nameof(maxVal));
        }
    }

    /// <summary>The lower bound.</summary>
    public double MinVal { get; }

    /// <summary>The upper bound.</summary>
    public double MaxVal { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Hardtanh(input, MinVal, MaxVal);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"minVal={MinVal}, maxVal={MaxVal}";
}

/// <summary><c>nn.Hardtanh</c>.</summary>
public sealed class HardtanhDescriptor() : LayerDescriptor<Hardtanh>([new("minVal", ArgKind.Double, -1.0), new("maxVal", ArgKind.Double, 1.0)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(new LayerSpec(Name), new Shape(2, 3)), new(LayerSpec.Of(Name, ("minVal", -0.5), ("maxVal", 2.0)), new Shape(4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec spec) => new Hardtanh(spec.Double("minVal"), spec.Double("maxVal"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => Unchanged(input);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = min(max(x, {ActivationRules.Num(spec.Double("minVal"))}), {ActivationRules.Num(spec.Double("maxVal"))})";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Hardtanh module) => SpecOf(("minVal", module.MinVal), ("maxVal", module.MaxVal));
}

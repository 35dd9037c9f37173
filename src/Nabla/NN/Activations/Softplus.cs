namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Softplus: y = (1/β)·ln(1 + e^(βx)), reverting to y = x where βx &gt; threshold (PyTorch's rule, for numerical
    /// stability); dy/dx = σ(βx) below the threshold and 1 above it.
    /// </summary>
    /// <remarks>
    /// Below the threshold the value is computed as max(βx, 0) + log1p(e^(−|βx|)), so it is accurate for very negative
    /// βx (y ≈ e^(βx)/β) and finite for any threshold; PyTorch's ln(1 + e^(βx)) agrees wherever e^(βx) does not overflow.
    /// </remarks>
    /// <exception cref="ArgumentException">β is 0.</exception>
    public static Tensor Softplus(Tensor x, double beta = 1.0, double threshold = 20.0)
    {
        if (beta == 0 || double.IsNaN(beta))
        {
            throw new ArgumentException($"softplus: beta must be a non-zero number, got {beta}", nameof(beta));
        }

        var z = beta == 1 ? x : x * beta;
        var soft = z.Softplus();
        return Tensor.Where(z.Detach().Gt(threshold), x, beta == 1 ? soft : soft / beta);
    }
}

/// <summary>Softplus: y = (1/β)·ln(1 + e^(βx)), x where βx &gt; threshold (PyTorch's <c>nn.Softplus</c>).</summary>
public sealed class Softplus(double beta = 1.0, double threshold = 20.0) : ElementwiseModule
{
    /// <summary>β (not 0).</summary>
    public double Beta { get; } = ActivationRules.Finite(beta, "Softplus", nameof(beta)) != 0 ? beta
        : throw new ArgumentException("Softplus: beta must not be 0", nameof(beta));

    /// <summary>Above this value of βx the layer is the identity.</summary>
    public double Threshold { get; } = double.IsNaN(threshold) ? throw new ArgumentException("Softplus: threshold must be a number", nameof(threshold)) : threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Softplus(input, Beta, Threshold);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"beta={Beta}, threshold={Threshold}";
}

/// <summary><c>nn.Softplus</c>.</summary>
public sealed class SoftplusDescriptor() : LayerDescriptor<Softplus>([new("beta", ArgKind.Double, 1.0), new("threshold", ArgKind.Double, 20.0)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(new LayerSpec(Name), new Shape(2, 3)), new(LayerSpec.Of(Name, ("beta", 2.0), ("threshold", 1.5)), new Shape(5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec spec) => new Softplus(spec.Double("beta"), spec.Double("threshold"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => Unchanged(input);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train)
    {
        string b = ActivationRules.Num(spec.Double("beta"));
        return $"y = ln(1 + e^({b}·x))/{b}, or x where {b}·x > {ActivationRules.Num(spec.Double("threshold"))}";
    }

    /// <inheritdoc/>
    protected override LayerSpec Describe(Softplus module) => SpecOf(("beta", module.Beta), ("threshold", module.Threshold));
}

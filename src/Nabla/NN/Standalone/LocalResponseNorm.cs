namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Local response normalisation across channels (AlexNet, Krizhevsky et al. 2012, section 3.3), PyTorch's form:
    /// b_c = a_c / (k + α/n · Σ a_{c'}²)^β, the sum over the n channels c' from c − ⌊n/2⌋ to c + ⌊(n − 1)/2⌋ that exist
    /// (zero padding). Input (N, C, *). AlexNet's own constants are n = 5, α = 1e-4·5 in this form (the paper's α
    /// multiplies the sum without the 1/n), β = 0.75, k = 2.
    /// </summary>
    /// <exception cref="ArgumentException">The input has fewer than 3 dimensions, or <paramref name="size"/> is below 1.</exception>
    public static Tensor LocalResponseNorm(Tensor input, int size, double alpha = 1e-4, double beta = 0.75, double k = 1.0)
    {
        if (input.Rank < 3)
        {
            throw new ArgumentException($"local_response_norm: expected input (N, C, *) of 3 or more dimensions, got {input.Shape}");
        }

        if (size < 1)
        {
            throw new ArgumentException($"local_response_norm: size must be at least 1, got {size}", nameof(size));
        }

        int c = input.Shape[1];
        var pads = new (int Before, int After)[input.Rank];
        pads[1] = (size / 2, (size - 1) / 2);
        var squares = (input * input).Pad(pads);
        var sum = squares.Narrow(1, 0, c);
        for (int j = 1; j < size; j++)
        {
            sum = sum + squares.Narrow(1, j, c);
        }

        return input / (((sum / size) * alpha) + k).Pow(beta);
    }
}

/// <summary>Local response normalisation across channels (<c>nn.LocalResponseNorm</c>; see <see cref="F.LocalResponseNorm"/>).</summary>
public sealed class LocalResponseNorm : ElementwiseModule
{
    /// <summary>Creates the layer.</summary>
    public LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double k = 1.0)
    {
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"LocalResponseNorm: size must be at least 1, got {size}");
        }

        (Size, Alpha, Beta, K) = (size, alpha, beta, k);
    }

    /// <summary>n, the number of neighbouring channels summed.</summary>
    public int Size { get; }

    /// <summary>α.</summary>
    public double Alpha { get; }

    /// <summary>β.</summary>
    public double Beta { get; }

    /// <summary>k.</summary>
    public double K { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LocalResponseNorm(input, Size, Alpha, Beta, K);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{Size}, alpha={Alpha}, beta={Beta}, k={K}";
}

/// <summary><c>nn.LocalResponseNorm</c>.</summary>
public sealed class LocalResponseNormDescriptor() : LayerDescriptor<LocalResponseNorm>(
    [new("size", ArgKind.Int, null, true), new("alpha", ArgKind.Double, 1e-4), new("beta", ArgKind.Double, 0.75), new("k", ArgKind.Double, 1.0)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of(Name, ("size", 5), ("k", 2.0)), new Shape(7, 3, 3)), new(LayerSpec.Of(Name, ("size", 2), ("alpha", 0.5), ("beta", 0.6)), new Shape(4, 5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new LocalResponseNorm(s.Int("size"), s.Double("alpha"), s.Double("beta"), s.Double("k"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input)
    {
        if (input.Rank < 3)
        {
            throw new ModelShapeException($"expects input of shape (C, *) with at least one position but its input has shape {PerSample(input)}");
        }

        return Unchanged(input);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec s, Module layer, bool train) =>
        $"y = x/({ActivationRules.Num(s.Double("k"))} + {ActivationRules.Num(s.Double("alpha"))}/{s.Int("size")}·Σ x²)^{ActivationRules.Num(s.Double("beta"))} over {s.Int("size")} neighbouring channels";

    /// <inheritdoc/>
    protected override LayerSpec Describe(LocalResponseNorm m) => SpecOf(("size", m.Size), ("alpha", m.Alpha), ("beta", m.Beta), ("k", m.K));
}

namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// PReLU: y = x where x &gt; 0, else a·x, with a learnable slope <paramref name="weight"/>: one value for all
    /// channels, or one per channel of dimension 1 (C values for an (N, C, *) input). ∂y/∂x = 1[x &gt; 0] + a·1[x ≤ 0]
    /// and ∂y/∂a = x·1[x ≤ 0], as PyTorch (at x = 0 the slope side is taken).
    /// </summary>
    /// <exception cref="ArgumentException">The weight is not 1-D, or its size is neither 1 nor the channel count.</exception>
    public static Tensor Prelu(Tensor x, Tensor weight)
    {
        if (weight.Rank > 1)
        {
            throw new ArgumentException($"prelu: weight must be 0-D or 1-D, got {weight.Shape}", nameof(weight));
        }

        Tensor slope;
        if (weight.Numel == 1)
        {
            slope = weight.Reshape(Shape.Scalar);
        }
        else
        {
            int channels = x.Rank >= 2 ? x.Shape[1] : 1;
            if (x.Rank == 0 || channels != weight.Numel)
            {
                throw new ArgumentException($"prelu: the number of weights ({weight.Numel}) must be 1 or the number of channels (dimension 1) of the input {x.Shape}");
            }

            var view = Enumerable.Repeat(1, x.Rank).ToArray();
            view[1] = channels;
            slope = weight.Reshape(view);
        }

        return Tensor.Where(x.Detach().Gt(0.0), x, x * slope);
    }
}

/// <summary>
/// PReLU: y = max(0, x) + a·min(0, x) with a learnable slope a (<c>weight</c>, numParameters values
/// initialised to init): 1 for all channels or one per channel (PyTorch's <c>nn.PReLU</c>).
/// </summary>
public sealed class PReLU : ElementwiseModule
{
    /// <summary>Creates the layer.</summary>
    public PReLU(int numParameters = 1, double init = 0.25, DType dtype = DType.Float32)
    {
        if (numParameters < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numParameters), $"PReLU: numParameters must be at least 1, got {numParameters}");
        }

        Init = ActivationRules.Finite(init, "PReLU", nameof(init));
        Weight = RegisterParameter("weight", Tensor.Full(new Shape(numParameters), init, dtype));
    }

    /// <summary>The number of slopes (1, or the channel count).</summary>
    public int NumParameters => Weight.Shape[0];

    /// <summary>The initial slope.</summary>
    public double Init { get; }

    /// <summary>The learnable slopes a.</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Prelu(input, Weight);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"numParameters={NumParameters}";
}

/// <summary><c>nn.PReLU</c>.</summary>
public sealed class PReLUDescriptor() : LayerDescriptor<PReLU>([new("numParameters", ArgKind.Int, 1), new("init", ArgKind.Double, 0.25)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(new LayerSpec(Name), new Shape(2, 3)), new(LayerSpec.Of(Name, ("numParameters", 3), ("init", 0.1)), new Shape(3, 2, 2))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec spec) => new PReLU(spec.Int("numParameters"), spec.Double("init"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input)
    {
        int n = spec.Int("numParameters");
        if (n != 1 && (input.Rank < 2 || input[1] != n))
        {
            throw new ModelShapeException($"has {n} slopes, one per channel, but its input has shape {PerSample(input)}");
        }

        return new(input, n, 0, 0);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = x if x > 0 else a·x, a learned ({(spec.Int("numParameters") == 1 ? "one slope" : $"{spec.Int("numParameters")} slopes, one per channel")})";

    /// <inheritdoc/>
    protected override LayerSpec Describe(PReLU module) => SpecOf(("numParameters", module.NumParameters), ("init", module.Init));
}

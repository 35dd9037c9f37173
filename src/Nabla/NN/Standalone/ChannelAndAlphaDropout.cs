namespace Nabla.NN;

public static partial class F
{
    /// <summary>SELU's −λα, the value AlphaDropout sets dropped units to before its affine correction.</summary>
    private const double AlphaDropoutAlpha = 1.7580993408473766;

    /// <summary>
    /// Channel dropout of 1-D maps: in training, zeroes whole channels of (N, C, L) or (C, L) inputs with probability
    /// p and scales the rest by 1/(1 − p); the identity in evaluation.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not 2-D or 3-D.</exception>
    public static Tensor Dropout1d(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckProbability(p);
        if (x.Rank is not (2 or 3))
        {
            throw new ArgumentException($"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got {x.Shape}");
        }

        if (!training || p == 0)
        {
            return x;
        }

        if (p == 1)
        {
            return x * 0.0;
        }

        var maskShape = x.Shape.ToArray();
        maskShape[^1] = 1;
        var keep = Tensor.Rand(new Shape(maskShape), generator, x.DType).Lt(1 - p).To(x.DType);
        return x * keep * (1 / (1 - p));
    }

    /// <summary>
    /// Alpha dropout (Klambauer et al. 2017), for SELU networks: in training each unit is kept with probability 1 − p
    /// or set to −λα ≈ −1.7581, then y = a·x' + b with a = ((1 − p)(1 + p·λ²α²))^(−½) and b = a·λα·p, so that
    /// inputs of zero mean and unit variance keep them. The identity in evaluation or with p = 0; zeros with p = 1,
    /// as PyTorch.
    /// </summary>
    public static Tensor AlphaDropout(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckProbability(p);
        if (!training || p == 0)
        {
            return x;
        }

        if (p == 1)
        {
            return x * 0.0;
        }

        const double alpha = AlphaDropoutAlpha;
        double a = 1 / Math.Sqrt(((alpha * alpha * p) + 1) * (1 - p));
        var keep = Tensor.Rand(x.Shape, generator, x.DType).Lt(1 - p).To(x.DType);

        // As PyTorch: b = (keep − 1)·λα·a + λα·a·p; y = x·keep·a + b.
        var b = ((keep - 1.0) * (alpha * a)) + (alpha * a * p);
        return (x * (keep * a)) + b;
    }
}

/// <summary>Zeroes whole channels of (N, C, L) or (C, L) inputs in training (<c>nn.Dropout1d</c>); the identity in evaluation.</summary>
public sealed class Dropout1d(double p = 0.5, Generator? generator = null) : ElementwiseModule
{
    /// <summary>The drop probability (0 to 1, refused otherwise at construction, as PyTorch does).</summary>
    public double P { get; } = F.CheckProbability(p);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout1d(input, P, IsTraining, generator);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={P}";
}

/// <summary>Dropout that keeps SELU's self-normalisation (<c>nn.AlphaDropout</c>; see <see cref="F.AlphaDropout"/>).</summary>
public sealed class AlphaDropout(double p = 0.5, Generator? generator = null) : ElementwiseModule
{
    /// <summary>The drop probability (0 to 1, refused otherwise at construction).</summary>
    public double P { get; } = F.CheckProbability(p);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AlphaDropout(input, P, IsTraining, generator);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={P}";
}

/// <summary><c>nn.Dropout1d</c>: whole channels of a 1-D map are dropped.</summary>
public sealed class Dropout1dDescriptor() : OneArgDescriptor<Dropout1d>(new("p", ArgKind.Double, 0.5), s => new Dropout1d(s.Double("p")),
    m => m.P, DropoutDescriptor.DropoutFormula, 0.25)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of(Name, ("p", 0.25)), new Shape(3, 4)), new(new LayerSpec(Name), new Shape(2, 5))];

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input)
    {
        RequireRank(input, 3, "(C, L)");
        return Unchanged(input);
    }
}

/// <summary><c>nn.AlphaDropout</c>.</summary>
public sealed class AlphaDropoutDescriptor() : OneArgDescriptor<AlphaDropout>(new("p", ArgKind.Double, 0.5), s => new AlphaDropout(s.Double("p")),
    m => m.P, (s, train) => train ? $"y = a·(x if kept else −1.7581) + b, p = {Num(s.Double("p"))} (training mode)" : "y = x (evaluation mode)", 0.2);

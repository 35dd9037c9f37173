namespace Nabla.NN;

// Activations as modules, so they can sit in a Sequential. Each keeps the input shape.

/// <summary>Base of the shape-preserving activation modules.</summary>
public abstract class ElementwiseModule : Module
{
    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;
}

/// <summary>max(x, 0).</summary>
public sealed class ReLU : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>x for x &gt; 0, slope·x otherwise.</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : ElementwiseModule
{
    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"negativeSlope={NegativeSlope}";
}

/// <summary>x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
public sealed class ELU(double alpha = 1.0) : ElementwiseModule
{
    /// <summary>α.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Elu(Alpha);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"alpha={Alpha}";
}

/// <summary>x·Φ(x) (exact), or the tanh approximation with approximate = "tanh".</summary>
public sealed class GELU(string approximate = "none") : ElementwiseModule
{
    /// <summary>"none" or "tanh".</summary>
    public string Approximate { get; } = approximate is "none" or "tanh" ? approximate
        : throw new ArgumentException($"GELU: approximate must be 'none' or 'tanh', got '{approximate}'", nameof(approximate));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu(Approximate == "tanh");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"approximate='{Approximate}'";
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>σ(x) = 1/(1 + e⁻ˣ).</summary>
public sealed class Sigmoid : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>Softmax along a dimension.</summary>
public sealed class Softmax(int dim) : ElementwiseModule
{
    /// <summary>The dimension.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Dim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log-softmax along a dimension.</summary>
public sealed class LogSoftmax(int dim) : ElementwiseModule
{
    /// <summary>The dimension.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSoftmax(Dim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Returns its input.</summary>
public sealed class Identity : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>Inverted dropout (zero with probability p, scale the rest by 1/(1 − p)) in training; identity in eval.</summary>
public sealed class Dropout(double p = 0.5, Generator? generator = null) : ElementwiseModule
{
    /// <summary>The drop probability (0 to 1, refused otherwise at construction, as PyTorch does).</summary>
    public double P { get; } = F.CheckProbability(p);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, IsTraining, generator);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={P}";
}

/// <summary>Drops whole channels of (N, C, H, W) inputs in training; identity in eval.</summary>
public sealed class Dropout2d(double p = 0.5, Generator? generator = null) : ElementwiseModule
{
    /// <summary>The drop probability (0 to 1, refused otherwise at construction, as PyTorch does).</summary>
    public double P { get; } = F.CheckProbability(p);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout2d(input, P, IsTraining, generator);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={P}";
}

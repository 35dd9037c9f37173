namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Log-sigmoid: y = ln σ(x) = −softplus(−x), computed as min(x, 0) − log1p(e^(−|x|)) so that it is exact for large
    /// |x| (y ≈ −e^(−x) for large x, y ≈ x for very negative x); dy/dx = σ(−x), ½ at x = 0.
    /// </summary>
    public static Tensor LogSigmoid(Tensor x) => -(-x).Softplus();
}

/// <summary>Log-sigmoid: y = ln(1/(1 + e⁻ˣ)) (PyTorch's <c>nn.LogSigmoid</c>).</summary>
public sealed class LogSigmoid : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LogSigmoid(input);
}

/// <summary><c>nn.LogSigmoid</c>.</summary>
public sealed class LogSigmoidDescriptor() : SimpleDescriptor<LogSigmoid>("y = ln(1/(1 + e^(−x)))");

namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Mish: y = x·tanh(softplus(x)), softplus(x) = ln(1 + eˣ) computed without overflow for large x and without
    /// lost digits for very negative x (where y ≈ x·eˣ).
    /// </summary>
    public static Tensor Mish(Tensor x) => x * x.Softplus().Tanh();
}

/// <summary>Mish: y = x·tanh(ln(1 + eˣ)) (PyTorch's <c>nn.Mish</c>).</summary>
public sealed class Mish : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Mish(input);
}

/// <summary><c>nn.Mish</c>.</summary>
public sealed class MishDescriptor() : SimpleDescriptor<Mish>("y = x·tanh(ln(1 + e^x))");

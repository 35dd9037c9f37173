namespace Nabla.NN;

public static partial class F
{
    /// <summary>Softsign: y = x / (1 + |x|) (PyTorch's composite definition, so the gradient at 0 is 1).</summary>
    public static Tensor Softsign(Tensor x) => x / (x.Abs() + 1.0);
}

/// <summary>Softsign: y = x / (1 + |x|) (PyTorch's <c>nn.Softsign</c>).</summary>
public sealed class Softsign : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Softsign(input);
}

/// <summary><c>nn.Softsign</c>.</summary>
public sealed class SoftsignDescriptor() : SimpleDescriptor<Softsign>("y = x/(1 + |x|)");
